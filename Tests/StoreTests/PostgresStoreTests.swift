import Foundation
import OrchTesting
import OrchHost
import PluginAPI
import PostgresCluster
import Testing

/// What only PostgresStore has: a server that can go away, a connection
/// pool, TLS and statement-timeout options. Its own cluster, since one test
/// restarts it.
@Suite(.storeEnvironment, .serialized)
struct PostgresStoreTests {
    static let unavailablePrefix = "PostgresStore: the database is unavailable ("
    static let unavailableSuffix = "); the operation was not done, retry once the database is back"

    @Test func reconnectsAfterTheServerRestarts() async throws {
        let environment = try environment()
        try await environment.withStore(.postgres, options: ["url": .string(environment.postgresURL), "pool_size": .int(4)]) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            try await Self.allAtOnce(16) { _ = try await api.turnCount(orchestratorID: made.id) } // every pooled connection is open

            try environment.cluster.stopServer()
            for _ in 0..<3 {
                let started = ContinuousClock.now
                do {
                    _ = try await api.turnCount(orchestratorID: made.id)
                    Issue.record("an operation succeeded while the server was down")
                } catch let error as PluginError {
                    #expect(error.status == .unavailable && error.code == "store_unavailable" && error.retryable)
                    #expect(error.message.hasPrefix(Self.unavailablePrefix) && error.message.hasSuffix(Self.unavailableSuffix), "\(error.message)")
                    #expect(error.message.contains("Connection refused"), "\(error.message)")
                }
                #expect(ContinuousClock.now - started < .seconds(2), "an outage fails fast, it never hangs")
            }

            try environment.cluster.startServer()
            let message = try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: "back"))
            #expect(try await api.chatHistory(orchestratorID: made.id).messages == [message], "the next operation succeeds")
            try await Self.allAtOnce(16) { _ = try await api.turnCount(orchestratorID: made.id) }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    /// Writers keep the store's writer batching while the server stops under
    /// them: every write caught in the outage is reported to its own caller as
    /// store_unavailable, and every write reported saved is there afterwards.
    @Test func writesCaughtInAnOutageAreEachReportedAndNoneReportedSavedIsLost() async throws {
        let environment = try environment()
        try await environment.withStore(.postgres, options: ["url": .string(environment.postgresURL), "pool_size": .int(4)]) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            let savedSoFar = SavedCount()
            let writers = Task {
                try await withThrowingTaskGroup(of: ([String], PluginError).self) { group in
                    for writer in 0..<16 {
                        group.addTask {
                            var saved: [String] = []
                            while true { // until this writer's first failure
                                do {
                                    saved.append(try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator,
                                                                                message: "writer \(writer) row \(saved.count)")).id)
                                    savedSoFar.add()
                                } catch let failure as PluginError {
                                    return (saved, failure)
                                }
                            }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            #expect(await eventually(timeout: .seconds(30)) { savedSoFar.value >= 300 })
            try environment.cluster.stopServer()
            let outcomes = try await writers.value
            try environment.cluster.startServer()

            for (_, failure) in outcomes {
                #expect(failure.status == .unavailable && failure.code == "store_unavailable" && failure.retryable, "\(failure)")
                #expect(failure.message.hasPrefix(Self.unavailablePrefix) && failure.message.hasSuffix(Self.unavailableSuffix), "\(failure.message)")
            }
            let reported = outcomes.flatMap(\.0)
            var stored: Set<String> = []
            var cursor: String?
            repeat {
                let page = try await api.chatHistory(orchestratorID: made.id, limit: 1000, before: cursor)
                stored.formUnion(page.messages.map(\.id))
                cursor = page.hasMore ? page.messages.first?.id : nil
            } while cursor != nil
            #expect(reported.count >= 300)
            #expect(reported.filter { !stored.contains($0) } == [], "every insert reported saved survived the outage")
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test func aClosedPortFailsTheStartWithAClearError() throws {
        let environment = try environment()
        let port = try PostgresCluster.freePort()
        do {
            _ = try environment.open(.postgres, options: ["url": .string("postgresql://postgres:s3cret@127.0.0.1:\(port)/orch")])
            Issue.record("the store started without a server")
        } catch let PluginLoadError.initFailed(plugin, kind, status, message) {
            #expect(plugin == "PostgresStore" && kind == .store && status == .unavailable)
            #expect(message.hasPrefix(Self.unavailablePrefix + "cannot connect to postgresql://postgres:***@127.0.0.1:\(port)/orch: connection to server at \"127.0.0.1\", port \(port) failed: Connection refused"), "\(message)")
            #expect(message.hasSuffix(Self.unavailableSuffix))
            #expect(!message.contains("s3cret"), "the password never appears in a message")
        }
    }

    @Test func tlsOptionsReachLibpq() async throws {
        let environment = try environment()
        // The test server has no TLS, so libpq itself refuses when TLS is required: the option got through.
        for options: [String: JSONValue] in [["url": .string(environment.postgresURL), "sslmode": .string("require")],
                                             ["url": .string(environment.postgresURL + "?sslmode=require")]] {
            do {
                _ = try environment.open(.postgres, options: options)
                Issue.record("sslmode=require connected to a server without TLS")
            } catch let PluginLoadError.initFailed(_, _, status, message) {
                #expect(status == .unavailable)
                #expect(message.contains("server does not support SSL, but SSL was required"), "\(message)")
            }
        }
        // An option in the config overrides the same one in the URL.
        try await environment.withStore(.postgres, options: ["url": .string(environment.postgresURL + "?sslmode=require"), "sslmode": .string("disable")]) { store in
            let health = try await store.api.health()
            #expect(health.ok)
        }
    }

    @Test func aStatementOverTheTimeoutIsCancelled() async throws {
        let environment = try environment()
        try await environment.withStore(.postgres, options: ["url": .string(environment.postgresURL), "statement_timeout_ms": .int(100)]) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            await expectError(.init(.timeout, code: "statement_timeout", "PostgresStore: the statement ran longer than statement_timeout_ms (100 ms) and was cancelled; retry, or raise statement_timeout_ms")) {
                _ = try await diagnostics.bulkInsertChat(orchestratorID: made.id, count: 1_000_000)
            }
            #expect(try await api.turnCount(orchestratorID: made.id) == 0, "the cancelled statement left nothing")
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test func badOptionsAreRefusedAtStart() throws {
        let environment = try environment()
        let url = JSONValue.string(environment.postgresURL)
        let cases: [([String: JSONValue], String)] = [
            ([:], #"PostgresStore: "url" must be a postgresql:// URI such as postgresql://orch@127.0.0.1:5432/orch; got nothing"#),
            (["url": .string("mysql://root:hunter2@db/orch")], #"PostgresStore: "url" must be a postgresql:// URI such as postgresql://orch@127.0.0.1:5432/orch; got "mysql://root:***@db/orch""#),
            (["url": url, "pool_size": .int(0)], #"PostgresStore: "pool_size" must be between 1 and 64; got 0"#),
            (["url": url, "statement_timeout_ms": .int(-5)], #"PostgresStore: "statement_timeout_ms" must be between 0 and 86400000; got -5"#),
            (["url": url, "pool-size": .int(4)], #"PostgresStore: unknown option "pool-size"; the options are url, pool_size, statement_timeout_ms, connect_timeout_s, synchronous_commit, sslmode, sslrootcert, sslcert, sslkey, sslcrl"#),
            (["url": url, "synchronous_commit": .string("sometimes")], #"PostgresStore: "synchronous_commit" must be one of on, off, local, remote_write, remote_apply; got "sometimes""#),
            (["url": url, "pool_size": .string("four")], #"PostgresStore: options: field "pool_size": Expected to decode Int but found a string instead."#),
        ]
        for (options, message) in cases {
            #expect(throws: PluginLoadError.initFailed(plugin: "PostgresStore", kind: .store, status: .invalid, message: message)) {
                _ = try environment.open(.postgres, options: options)
            }
        }
    }

    private static func allAtOnce(_ count: Int, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count { group.addTask { try await body() } }
            try await group.waitForAll()
        }
    }
}

/// How many writes have been reported saved so far, shared by concurrent writers.
private final class SavedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
