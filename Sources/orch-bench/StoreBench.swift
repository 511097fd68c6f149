import Foundation
import Logging
import OrchHost
import PluginAPI
import StoreModel
import PostgresCluster

/// `orch-bench store`: seeds chat rows over many orchestrators, then measures
/// insert throughput with 1, 8 and 64 concurrent inserters against the one
/// store, a lone insert's latency (one inserter, nothing else queued) and
/// chat_history (`limit` 50) latency, all through the ABI as the host calls the store.
struct StoreBench {
    static let usage = """
        orch-bench store [--plugin SQLiteStore|PostgresStore] (default: both, one after the other)
                         [--rows 1000000] [--orchestrators 100] [--inserts 20000] [--histories 20000]
                         [--writers 1,8,64]        (concurrent inserters, one rate each)
                         [--url postgresql://...]  (default: a throwaway cluster in /tmp, default durable settings)
                         [--path file.sqlite]      (default: a temporary file)
        """

    var plugins = ["SQLiteStore", "PostgresStore"]
    var rows = 1_000_000
    var orchestrators = 100
    var inserts = 20_000
    var histories = 20_000
    var writers = [1, 8, 64]
    var url: String?
    var path: String?

    struct UsageError: Error, CustomStringConvertible { let description: String }

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = remaining.popFirst() else { throw UsageError(description: "\(flag) needs a value\n\(Self.usage)") }
            return value
        }
        func number(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number > 0 else {
                throw UsageError(description: "\(flag) takes a positive whole number, not \"\(text)\"")
            }
            return number
        }
        while let flag = remaining.popFirst() {
            switch flag {
            case "--plugin":
                let plugin = try value(flag)
                guard ["SQLiteStore", "PostgresStore"].contains(plugin) else { throw UsageError(description: "--plugin is SQLiteStore or PostgresStore, not \"\(plugin)\"") }
                plugins = [plugin]
            case "--rows": rows = try number(flag)
            case "--orchestrators": orchestrators = try number(flag)
            case "--inserts": inserts = try number(flag)
            case "--histories": histories = try number(flag)
            case "--writers":
                let text = try value(flag)
                let counts = text.split(separator: ",").compactMap { Int($0) }
                guard !counts.isEmpty, counts.count == text.split(separator: ",").count, counts.allSatisfy({ $0 > 0 }) else {
                    throw UsageError(description: "--writers takes positive whole numbers separated by commas, not \"\(text)\"")
                }
                writers = counts
            case "--url": url = try value(flag)
            case "--path": path = try value(flag)
            default: throw UsageError(description: "unknown option \(flag)\n\(Self.usage)")
            }
        }
    }

    func run() async throws {
        print("orch-bench store: \(rows) chat rows over \(orchestrators) orchestrators; \(inserts) inserts per writer mode; \(histories) history loads (limit 50)")
        for plugin in plugins {
            switch plugin {
            case "PostgresStore": try await benchPostgres()
            default: try await benchSQLite()
            }
        }
    }

    private func benchSQLite() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("orch-bench-\(UUID().uuidString.prefix(8))")
        defer { if path == nil { try? FileManager.default.removeItem(at: scratch) } }
        let file = path ?? scratch.appendingPathComponent("orch.sqlite").path
        try await measure("SQLiteStore", options: ["path": .string(file)], setting: "file \(file), WAL, synchronous=NORMAL")
    }

    private func benchPostgres() async throws {
        if let url {
            return try await measure("PostgresStore", options: ["url": .string(url), "pool_size": .int(8)],
                                     setting: "the server at --url, pool_size 8", variant: ("synchronous_commit", .string("off")))
        }
        // A throwaway server with PostgreSQL's default (durable) settings, bar a cache big enough for the table.
        let cluster = try PostgresCluster.start(settings: ["shared_buffers=512MB"])
        defer { cluster.destroy() }
        try cluster.createDatabase("orch_bench")
        let server = "throwaway PostgreSQL \(try cluster.psql("SHOW server_version")), fsync=\(try cluster.psql("SHOW fsync")), "
            + "synchronous_commit=\(try cluster.psql("SHOW synchronous_commit")), shared_buffers=512MB, pool_size 8"
        try await measure("PostgresStore", options: ["url": .string(cluster.url(database: "orch_bench")), "pool_size": .int(8)],
                          setting: server, variant: ("synchronous_commit", .string("off")))
    }

    /// Seeds, measures and cleans up. `variant` (an option and its value) is a second configuration whose insert rates are measured too.
    private func measure(_ plugin: String, options: [String: JSONValue], setting: String, variant: (String, JSONValue)? = nil) async throws {
        let store = try open(plugin, options)
        let api = store.api, diagnostics = store.diagnostics
        print("\n== \(plugin) (\(setting))")

        var ids: [String] = []
        let seeding = ContinuousClock.now
        for _ in 0..<orchestrators { ids.append(try await diagnostics.createOrchestrator(systemPrompt: "bench").id) }
        let perOrchestrator = rows / orchestrators
        for id in ids { _ = try await diagnostics.bulkInsertChat(orchestratorID: id, count: perOrchestrator) }
        let seeded = ContinuousClock.now - seeding
        print("seed        \(perOrchestrator * orchestrators) rows in \(format(seeded)) (\(Int(Double(perOrchestrator * orchestrators) / seconds(seeded))) rows/s, bulk_insert_chat)")

        let lone = try await loneLatency(api, ids: ids)
        print("insert      lone insert (one inserter): p50 \(millis(percentile(lone, 0.50))) ms, p99 \(millis(percentile(lone, 0.99))) ms")
        for count in writers {
            let rate = try await insertRate(api, ids: ids, writers: count)
            print("insert      \(count) concurrent inserter(s): \(Int(rate)) inserts/s")
        }
        if let (key, value) = variant {
            var changed = options
            changed[key] = value
            let other = try open(plugin, changed)
            var rates: [String] = []
            for count in writers { rates.append("\(count): \(Int(try await insertRate(other.api, ids: ids, writers: count)))/s") }
            print("insert      with \(key) = \(value.stringValue ?? "\(value)"), by concurrent inserters: \(rates.joined(separator: ", "))")
            await other.ref.destroy()
        }

        for _ in 0..<min(1000, histories) { _ = try await api.chatHistory(orchestratorID: ids.randomElement()!, limit: 50) }
        var latencies: [Duration] = []
        latencies.reserveCapacity(histories)
        for index in 0..<histories {
            let id = ids[index % ids.count]
            let started = ContinuousClock.now
            let page = try await api.chatHistory(orchestratorID: id, limit: 50)
            latencies.append(ContinuousClock.now - started)
            guard page.messages.count == 50 else { throw UsageError(description: "history returned \(page.messages.count) rows, not 50") }
        }
        latencies.sort()
        print("history     limit 50, 1 client: p50 \(millis(percentile(latencies, 0.50))) ms, p99 \(millis(percentile(latencies, 0.99))) ms, max \(millis(latencies.last!)) ms")
        try codecCost(of: try await api.chatHistory(orchestratorID: ids[0], limit: 50))
        let counts = try await diagnostics.rowCounts()
        print("rows        orchestrator_chat = \(counts["orchestrator_chat"] ?? 0)")

        let cleanup = ContinuousClock.now
        for id in ids { _ = try await diagnostics.deleteOrchestrator(id: id) }
        print("cleanup     deleted \(ids.count) orchestrators with their rows in \(format(ContinuousClock.now - cleanup))")
        await store.ref.destroy()
    }

    private func open(_ plugin: String, _ options: [String: JSONValue]) throws -> StoreClient {
        var logger = Logger(label: "orch-bench")
        logger.logLevel = .warning
        let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: logger)
        return try loader.makeStore(try loader.library(plugin, relativeTo: "/"),
                                    .init(label: plugin, config: try JSON.encode(options), requests: HostRequests(), events: NoEvents()))
    }

    /// Inserts `inserts` chat rows with `writers` concurrent callers; returns rows per second.
    private func insertRate(_ api: StoreAPI, ids: [String], writers: Int) async throws -> Double {
        let each = inserts / writers
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<each {
                        let id = ids[(writer + index * writers) % ids.count]
                        _ = try await api.insertChat(.init(orchestratorID: id, sender: .user, receiver: .orchestrator,
                                                           message: "bench message \(index) from writer \(writer)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(each * writers) / seconds(ContinuousClock.now - started)
    }

    /// Each insert's round trip when it is the only one in flight: what batching must not slow down.
    private func loneLatency(_ api: StoreAPI, ids: [String]) async throws -> [Duration] {
        var latencies: [Duration] = []
        latencies.reserveCapacity(min(inserts, 5000))
        for index in 0..<min(inserts, 5000) {
            let started = ContinuousClock.now
            _ = try await api.insertChat(.init(orchestratorID: ids[index % ids.count], sender: .user, receiver: .orchestrator,
                                               message: "lone bench message \(index)"))
            latencies.append(ContinuousClock.now - started)
        }
        return latencies.sorted()
    }

    /// What one chat_history reply costs to write and read back, with the
    /// store's own codec (its JSONRecord field tables) and with Foundation's:
    /// the figure that decides which one crosses the ABI (docs/stores.md).
    private func codecCost(of page: (messages: [ChatMessageRecord], hasMore: Bool)) throws {
        let reply = ChatHistoryReply(messages: page.messages, hasMore: page.hasMore)
        func perCall(_ body: () throws -> Void) rethrows -> String {
            let rounds = 2000
            let started = ContinuousClock.now
            for _ in 0..<rounds { try body() }
            return String(format: "%.1f µs", seconds(ContinuousClock.now - started) / Double(rounds) * 1e6)
        }
        let own = try perCall { _ = try JSONReader.read(reply.jsonData) { try ChatHistoryReply(reading: &$0) } }
        let foundation = try perCall { _ = try JSON.decode(ChatHistoryReply.self, from: JSON.encode(reply)) }
        print("codec       one chat_history reply (\(reply.messages.count) messages) written and read: \(own) (JSONWriter/JSONReader), \(foundation) (Foundation)")
    }

    private func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func millis(_ duration: Duration) -> String { String(format: "%.3f", seconds(duration) * 1000) }
    private func format(_ duration: Duration) -> String { String(format: "%.1f s", seconds(duration)) }
}

private struct NoEvents: HostEventSink {
    func publish(_ event: EventView, from plugin: String) {}
}
