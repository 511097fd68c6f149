import Foundation
import Logging
import OrchHost
import PluginAPI

/// `orch-bench turn`: the host's own overhead per streamed event (backend emit →
/// transport deliver, with the SQLite store attached), and turns per second with
/// a backend that answers instantly.
enum TurnBench {
    static func run(_ arguments: [String]) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-bench-turn-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cPlugin = try ABIBench.buildCPlugin()

        Measure.say("Turn engine (SQLite store attached)")
        Measure.row("measure", "value", target: "target")
        let stamped = try await runtime(directory: directory, backend: "SwiftEchoPlugin", transport: "SwiftEchoPlugin")
        let orchestrator = stamped.engine!.orchestratorID
        var delays: [Double] = []
        for _ in 0..<5 {
            _ = try await send(stamped, orchestrator, "stamp 2000")
            let reply = try await stamped.transports[0].request(Data(#"{"op":"latencies"}"#.utf8))
            delays += try JSONDecoder().decode([UInt64].self, from: reply).map { Double($0) }
        }
        Measure.row("host overhead per event, p50 (\(delays.count) events)", Measure.format(nanoseconds: Measure.percentile(delays, 50)))
        Measure.row("host overhead per event, p99", Measure.format(nanoseconds: Measure.percentile(delays, 99)), target: "< 100 µs")
        await stamped.shutdown()

        let instant = try await runtime(directory: directory, backend: cPlugin, transport: cPlugin)
        let id = instant.engine!.orchestratorID
        let start = ContinuousClock.now
        var turns = 0
        while ContinuousClock.now - start < .seconds(5) {
            _ = try await send(instant, id, "ping \(turns)")
            turns += 1
        }
        let seconds = Double((ContinuousClock.now - start).components.seconds) + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        Measure.row("turns per second, instant backend, sequential", String(format: "%.0f /s", Double(turns) / seconds))
        await instant.shutdown()
    }

    static func send(_ runtime: OrchRuntime, _ orchestrator: String, _ message: String) async throws -> Data {
        let body = try JSON.encode(["op": "send_chat", "orchestrator_agent_id": .string(orchestrator), "message": .string(message), "wait": true] as [String: JSONValue])
        return try await runtime.requests.handle(try Request(json: body), from: "bench")
    }

    /// `[host]` with the plugins beside this binary, quiet, and a SQLite `[store]` at `sqlite`.
    static func hostAndStore(sqlite: URL) -> String {
        """
        [host]
        plugin_dirs = ["\(PluginLocator.executableDirectory)"]
        log_level = "warning"
        [store]
        plugin = "SQLiteStore"
        options = { path = "\(sqlite.path)" }
        """
    }

    static func runtime(directory: URL, backend: String, transport: String) async throws -> OrchRuntime {
        let toml = hostAndStore(sqlite: directory.appendingPathComponent("bench-\(UUID().uuidString.prefix(8)).sqlite")) + """

        [backend]
        plugin = "\(backend)"
        [[transports]]
        plugin = "\(transport)"
        """
        return try await start(toml, workingDir: directory.path)
    }

    /// A whole host in this process from a benchmark's config, serving an orchestrator in `workingDir`.
    static func start(_ toml: String, workingDir: String) async throws -> OrchRuntime {
        let config = try ConfigLoader.parse(toml, file: "bench.toml", baseDirectory: "/", environment: [:])
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let runtime = OrchRuntime(config: config, logger: logger)
        try await runtime.start(serving: Launch.Plan(workingDir: workingDir))
        return runtime
    }
}
