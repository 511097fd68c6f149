import AnthropicLoopback
import Foundation
import Logging
import OrchHost
import PluginAPI

/// `orch-bench backend`: ClaudeBackend on the real Claude Code CLI against the
/// loopback API. Measures cold start (new session → first delta), warm turn
/// start (turn sent to a warm session → first delta) and, with the loopback
/// emitting stamped words, the per-token delay from loopback emission to the
/// plugin's event, next to the same delay measured on the CLI's own stdout.
enum BackendBench {
    struct Settings {
        var coldRuns = 5
        var warmTurns = 20
        var words = 400
        var everyMilliseconds = 5

        init(_ arguments: [String]) throws {
            let flags = try BenchFlags(arguments, known: ["--cold", "--turns", "--words", "--every-ms"])
            coldRuns = try flags.count("--cold") ?? coldRuns
            warmTurns = try flags.count("--turns") ?? warmTurns
            words = try flags.count("--words") ?? words
            everyMilliseconds = try flags.count("--every-ms") ?? everyMilliseconds
        }
    }

    static func run(_ arguments: [String]) async throws {
        let settings = try Settings(arguments)
        let loopback = try await AnthropicLoopback.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-bench-\(UUID().uuidString)")
        let work = directory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment: [String: JSONValue] = [
            "ANTHROPIC_BASE_URL": .string(loopback.baseURL), "ANTHROPIC_API_KEY": .string("bench-key"),
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": .string("1"),
        ]
        let options: [String: JSONValue] = [
            "model": .string("claude-sonnet-4-5"), "tools": .array([]), "max_retries": .int(0),
            "config_dir": .string(directory.appendingPathComponent("claude-config").path), "env": .object(environment),
        ]
        var logger = Logger(label: "orch-bench")
        logger.logLevel = .warning
        let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: logger)
        let backend = try loader.makeBackend(try loader.library("ClaudeBackend", relativeTo: "/"),
                                             .init(label: "ClaudeBackend", config: try JSON.encode(options), requests: HostRequests(), events: NoEvents()))
        let runner = TurnRunner(backend: backend, workingDirectory: work.path)
        print("ClaudeBackend on the real CLI, loopback at \(loopback.baseURL)")

        var cold: [Duration] = []
        for _ in 0..<settings.coldRuns {
            cold.append(try await runner.firstDelta(session: UUID().uuidString.lowercased()))
        }
        report("cold start (new session: spawn → first delta)", cold)

        // What `prewarm` (the host asks at startup) leaves for the first message: the process is already up.
        var prewarmed: [Duration] = []
        for _ in 0..<settings.coldRuns {
            let session = UUID().uuidString.lowercased()
            _ = try await backend.request(try JSON.encode(["op": "prewarm", "session_id": session, "working_dir": work.path]))
            try await Task.sleep(for: .seconds(1)) // the CLI finishes starting up, as it does while the host waits for a first message
            prewarmed.append(try await runner.firstDelta(session: session))
        }
        report("first message of a prewarmed session (turn sent → first delta)", prewarmed)

        let session = UUID().uuidString.lowercased()
        _ = try await runner.firstDelta(session: session)
        var warm: [Duration] = []
        for _ in 0..<settings.warmTurns {
            warm.append(try await runner.firstDelta(session: session))
        }
        report("warm turn start (turn sent → first delta)", warm)

        let every = Duration.milliseconds(settings.everyMilliseconds)
        loopback.enqueue(.stamped(words: settings.words, every: every))
        let arrivals = try await runner.stampedArrivals(session: session)
        let plugin = delays(arrivals, emitted: loopback.emissions)
        report("per-token delay, loopback → plugin event (\(plugin.count) tokens)", plugin)
        let status = try JSON.decode(JSONValue.self, from: try await backend.request(Data(#"{"op":"status"}"#.utf8)))
        if let latency = status["latency"]?["read_to_event"] {
            print(String(format: "  plugin's own hold, stdout read → event: p50 %.1f µs, p99 %.1f µs, max %.1f µs (%d lines)",
                         latency["p50_us"]?.doubleValue ?? 0, latency["p99_us"]?.doubleValue ?? 0,
                         latency["max_us"]?.doubleValue ?? 0, Int(latency["samples"]?.intValue ?? 0)))
        }
        let cli = status["cli_path"]?.stringValue ?? "claude"
        await backend.ref.destroy()

        loopback.enqueue(.stamped(words: settings.words, every: every))
        let baseline = try await RawCLI.stampedArrivals(cli: cli, environment: environment, directory: work.path,
                                                        configDirectory: directory.appendingPathComponent("claude-config").path)
        let raw = delays(baseline, emitted: loopback.emissions)
        report("per-token delay, loopback → CLI stdout read by a bare reader (\(raw.count) tokens)", raw)
        if !plugin.isEmpty, !raw.isEmpty {
            print(String(format: "  added by the plugin: p50 %+.3f ms, p99 %+.3f ms",
                         ms(percentile(plugin, 0.5)) - ms(percentile(raw, 0.5)), ms(percentile(plugin, 0.99)) - ms(percentile(raw, 0.99))))
        }
        await loopback.shutdown()
    }

    /// Stamped word number → when it arrived, to the delay since the loopback wrote it.
    static func delays(_ arrivals: [(Int, ContinuousClock.Instant)], emitted: [Int: ContinuousClock.Instant]) -> [Duration] {
        arrivals.compactMap { stamp, arrived in emitted[stamp].map { arrived - $0 } }
    }

    static func report(_ title: String, _ samples: [Duration]) {
        guard !samples.isEmpty else { return print("\(title): no samples") }
        print(String(format: "%@: p50 %.2f ms, p99 %.2f ms, min %.2f ms, max %.2f ms (n=%d)", title,
                     ms(percentile(samples, 0.5)), ms(percentile(samples, 0.99)), ms(samples.min()!), ms(samples.max()!), samples.count))
    }

    static func percentile(_ samples: [Duration], _ quantile: Double) -> Duration {
        guard !samples.isEmpty else { return .zero }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))]
    }

    static func ms(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// The stamp numbers in a delta's text ("t17", " t18").
    static func stamps(in text: String) -> [Int] {
        text.split(separator: " ").compactMap { $0.hasPrefix("t") ? Int($0.dropFirst()) : nil }
    }

    private struct NoEvents: HostEventSink {
        func publish(_ event: EventView, from plugin: String) {}
    }
}
