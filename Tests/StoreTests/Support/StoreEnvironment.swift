import Foundation
import Logging
import OrchHost
import PluginAPI
import PostgresCluster
import Testing

/// What a store suite runs against: a throwaway PostgreSQL cluster with one
/// database, and a temporary directory for SQLite files. Made before the
/// suite and destroyed after it by `.storeEnvironment`.
final class StoreEnvironment: Sendable {
    @TaskLocal static var current: StoreEnvironment?

    let cluster: PostgresCluster
    let database = "orch_test"
    let directory: URL
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: quietLogger)

    init() throws {
        // Durability is not under test here; skipping fsync keeps the suite fast.
        cluster = try PostgresCluster.start(settings: ["fsync=off", "synchronous_commit=off", "full_page_writes=off"])
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-store-tests-\(UUID().uuidString.prefix(8))")
        do {
            try cluster.createDatabase(database)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            destroy()
            throw error
        }
    }

    func destroy() {
        cluster.destroy()
        try? FileManager.default.removeItem(at: directory)
    }

    var sqlitePath: String { directory.appendingPathComponent("orch.sqlite").path }
    var postgresURL: String { cluster.url(database: database) }

    /// The options that point `kind` at this environment's database.
    func options(_ kind: StoreKind) -> [String: JSONValue] {
        switch kind {
        case .sqlite: ["path": .string(sqlitePath)]
        case .postgres: ["url": .string(postgresURL), "pool_size": .int(4), "statement_timeout_ms": .int(10_000)]
        }
    }

    /// Loads the built plugin library through the host's loader and creates an instance, as `orch` does.
    func open(_ kind: StoreKind, options: [String: JSONValue]? = nil) throws -> StoreClient {
        let library = try loader.library(kind.rawValue, relativeTo: "/")
        return try loader.makeStore(library, .init(label: kind.rawValue, config: try JSON.encode(options ?? self.options(kind)),
                                                   requests: HostRequests(), events: IgnoredEvents()))
    }

    /// Runs `body` with a fresh instance of `kind`, destroys it after, and
    /// checks that `body` left every table with the row count it found.
    func withStore(_ kind: StoreKind, options: [String: JSONValue]? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: (StoreClient) async throws -> Void) async throws {
        let client = try open(kind, options: options)
        let before = try await client.diagnostics.rowCounts()
        do { try await body(client) } catch {
            await client.ref.destroy()
            throw error
        }
        let after = try await client.diagnostics.rowCounts()
        #expect(after == before, "the test left rows behind (\(kind.rawValue))", sourceLocation: sourceLocation)
        await client.ref.destroy()
    }
}

/// Store plugins publish no events; a test host drops any that arrive.
struct IgnoredEvents: HostEventSink {
    func publish(_ event: EventView, from plugin: String) {}
}

/// Gives a suite its own `StoreEnvironment` for its whole run.
struct StoreEnvironmentTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let environment = try StoreEnvironment()
        defer { environment.destroy() }
        try await StoreEnvironment.$current.withValue(environment) { try await function() }
    }
}

extension Trait where Self == StoreEnvironmentTrait {
    static var storeEnvironment: Self { Self() }
}

/// The environment of the running suite.
func environment() throws -> StoreEnvironment {
    try #require(StoreEnvironment.current, "the suite needs the .storeEnvironment trait")
}

/// Plugins log a line per instance at info; the tests create hundreds.
let quietLogger: Logger = {
    var logger = Logger(label: "store-tests")
    logger.logLevel = .warning
    return logger
}()
