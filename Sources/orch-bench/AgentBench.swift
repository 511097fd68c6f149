import AnthropicLoopback
import Foundation
import Logging
import OrchHost
import PluginAPI

/// `orch-bench agents`: a team on the real Claude Code CLI against the loopback, in one
/// host with the SQLite store and the WebSocketTransport (100 clients in a child
/// process). With N agents commanded at once: command → first agent event, the host's
/// hold per agent event, events per second into the store and out to the clients, the
/// host's memory per agent (the CLIs excluded) and each CLI's own, which idle reaping frees.
enum AgentBench {
    struct Settings {
        var agents = 8
        var blocks = 40
        var clients = 100
        var rounds = 3

        init(_ arguments: [String]) throws {
            let flags = try BenchFlags(arguments, known: ["--agents", "--blocks", "--clients", "--rounds"])
            agents = try flags.count("--agents") ?? agents
            blocks = try flags.count("--blocks") ?? blocks
            clients = try flags.count("--clients") ?? clients
            rounds = try flags.count("--rounds") ?? rounds
        }
    }

    static func run(_ arguments: [String]) async throws {
        let settings = try Settings(arguments)
        let loopback = try await AnthropicLoopback.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-bench-agents-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("work"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = try await start(directory: directory, loopback: loopback, settings: settings)
        guard let team = runtime.agents else { throw BenchFailure("the host started without its agent manager") }
        let port = runtime.listening.first?.split(separator: ":").last.map(String.init) ?? "0"
        let names = (1...settings.agents).map { "bench\($0)" }
        let marker = { (name: String) in "[agent-\(name)]" }

        Measure.say("Agents: \(settings.agents) on the real CLI (loopback), SQLite store, \(settings.clients) WebSocket clients")
        Measure.row("measure", "value", target: "target")
        let rssBefore = residentBytes()
        let arrivals = Arrivals()
        _ = runtime.bus.subscribe { arrivals.record($0) }
        var ids: [String] = []
        for name in names {
            let reply = try await request(runtime, "create_agent", ["name": .string(name), "system_prompt": .string("You are \(name) \(marker(name)).")])
            ids.append(reply["agent"]?["id"]?.stringValue ?? "")
        }
        // Their processes start (prewarm) before the first command, as they do in use.
        try await until(.seconds(60)) { team.list().allSatisfy { $0.status == .idle } }
        let rssCreated = residentBytes()
        let sessions = Set(team.list().compactMap { team.summary($0)["session_id"]?.stringValue })
        let cliRSS = try await sessionPIDs(runtime, of: sessions).map { residentBytes(pid: $0) }

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let expected = settings.rounds * settings.agents * settings.blocks * settings.clients
        child.arguments = [WebSocketBench.clientsCommand, "--port", port, "--clients", String(settings.clients), "--chunks",
                           String(expected / max(1, settings.clients)), "--type", "agent_log"]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let lines = LineReader(output.fileHandleForReading)
        guard let connected = await lines.next(), connected.hasPrefix("connected") else { throw BenchFailure("the WebSocket clients did not connect") }

        var firstEvent: [Duration] = [], toRunning: [Duration] = []
        let start = ContinuousClock.now
        for round in 0..<settings.rounds {
            for name in names {
                loopback.enqueue(Reply(blocks: (0..<settings.blocks).map { .text("block \($0) of round \(round)") }), forSystemContaining: marker(name))
            }
            var sent: [String: ContinuousClock.Instant] = [:]
            try await withThrowingTaskGroup(of: (String, ContinuousClock.Instant).self) { group in
                for id in ids {
                    group.addTask {
                        let at = ContinuousClock.now
                        _ = try await request(runtime, "command_agent", ["agent_id": .string(id), "command": .string("write \(settings.blocks) blocks")])
                        return (id, at)
                    }
                }
                for try await (id, at) in group { sent[id] = at }
            }
            try await until(.seconds(120)) { arrivals.results == (round + 1) * settings.agents }
            for id in ids {
                guard let sentAt = sent[id] else { continue }
                if let first = arrivals.firstLog(of: id, after: sentAt) { firstEvent.append(first - sentAt) }
                if let running = arrivals.running(of: id, after: sentAt) { toRunning.append(running - sentAt) }
            }
        }
        let storeElapsed = (arrivals.lastLog ?? ContinuousClock.now) - start
        let result = await lines.next() ?? "no result"
        let clientsElapsed = ContinuousClock.now - start
        child.waitUntilExit()
        let rssAfter = residentBytes()
        let logged = arrivals.logs
        let holds = team.holds.nanoseconds.map { Double($0) }

        Measure.row("command_agent → agent running (saved, published), p50", String(format: "%.2f ms", ms(toRunning, 0.5)))
        Measure.row("command_agent → agent running, p99", String(format: "%.2f ms", ms(toRunning, 0.99)))
        Measure.row("command_agent → first agent_log, p50 (\(firstEvent.count) commands)", String(format: "%.1f ms", ms(firstEvent, 0.5)))
        Measure.row("command_agent → first agent_log, p99", String(format: "%.1f ms", ms(firstEvent, 0.99)))
        Measure.row("host hold per agent event, p50 (\(holds.count) events)", Measure.format(nanoseconds: Measure.percentile(holds, 50)))
        Measure.row("host hold per agent event, p99", Measure.format(nanoseconds: Measure.percentile(holds, 99)), target: "< 100 µs")
        Measure.row("agent_log rows saved and published per second (CLI-bound)", String(format: "%.0f /s (%d rows)", Double(logged) / seconds(storeElapsed), logged))
        Measure.row("agent_log frames to \(settings.clients) WebSocket clients per second",
                    String(format: "%.0f /s", Double(expected) / seconds(clientsElapsed)))
        print("  clients: \(result)")
        Measure.row("host RSS per agent, created and idle (CLIs excluded)", String(format: "%.2f MB", Double(rssCreated - rssBefore) / 1e6 / Double(settings.agents)),
                    target: "< 1 MB")
        Measure.row("host RSS growth over the run, per agent", String(format: "%.2f MB", Double(rssAfter - rssCreated) / 1e6 / Double(settings.agents)))
        print("  (the run fills the host's replay window of 4,096 events and the \(settings.clients) clients' send buffers; that is not per-agent state)")
        let cliAverage = cliRSS.isEmpty ? 0 : Double(cliRSS.reduce(0, +)) / Double(cliRSS.count)
        Measure.row("each agent's CLI process RSS (\(cliRSS.count) processes)", String(format: "%.0f MB", cliAverage / 1e6))
        Measure.row("what idle_timeout frees with \(settings.agents) idle agents", String(format: "%.0f MB", cliAverage * Double(cliRSS.count) / 1e6))

        await runtime.shutdown()
        await loopback.shutdown()
    }

    static func start(directory: URL, loopback: AnthropicLoopback, settings: Settings) async throws -> OrchRuntime {
        let toml = TurnBench.hostAndStore(sqlite: directory.appendingPathComponent("bench.sqlite")) + """

        [backend]
        plugin = "ClaudeBackend"
        [backend.options]
        model = "claude-sonnet-4-5"
        tools = []
        max_retries = 0
        config_dir = "\(directory.appendingPathComponent("claude-config").path)"
        env = { ANTHROPIC_BASE_URL = "\(loopback.baseURL)", ANTHROPIC_API_KEY = "bench-key", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1" }
        [[transports]]
        plugin = "WebSocketTransport"
        [transports.options]
        listen = "127.0.0.1:0"
        auth = "none"
        static_dir = "/nonexistent"
        client_queue_limit = 100000
        [agents]
        max_running = \(settings.agents)
        max_agents = \(settings.agents)
        notify_orchestrator = false
        """
        return try await TurnBench.start(toml, workingDir: directory.appendingPathComponent("work").path)
    }

    static func request(_ runtime: OrchRuntime, _ op: String, _ arguments: [String: JSONValue]) async throws -> JSONValue {
        var body = arguments
        body["op"] = .string(op)
        return try JSON.decode(JSONValue.self, from: try await runtime.requests.handle(try Request(json: try JSON.encode(body)), from: "bench"))
    }

    /// The CLI processes of these sessions (the orchestrator's own is not among them).
    static func sessionPIDs(_ runtime: OrchRuntime, of wanted: Set<String>) async throws -> [Int32] {
        guard let backend = runtime.backend else { return [] }
        let status = try JSON.decode(JSONValue.self, from: try await backend.request(Data(#"{"op":"status"}"#.utf8)))
        guard case .array(let sessions)? = status["sessions"] else { return [] }
        return sessions.filter { wanted.contains($0["session_id"]?.stringValue ?? "") }.compactMap { $0["pid"]?.intValue.map(Int32.init) }
    }

    static func until(_ timeout: Duration, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw BenchFailure("timed out after \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    static func ms(_ samples: [Duration], _ quantile: Double) -> Double {
        BackendBench.ms(BackendBench.percentile(samples, quantile))
    }

    static func seconds(_ duration: Duration) -> Double { BackendBench.ms(duration) / 1000 }

    /// What the bus published, as the benchmark needs it: agent_log arrivals per agent and result rows.
    final class Arrivals: @unchecked Sendable {
        private let lock = NSLock()
        private var logTimes: [String: [ContinuousClock.Instant]] = [:]
        private var runningTimes: [String: [ContinuousClock.Instant]] = [:]
        private var count = 0
        private var resultRows = 0
        private var last: ContinuousClock.Instant?

        func record(_ event: Event) {
            let now = ContinuousClock.now
            guard let json = try? JSON.decode(JSONValue.self, from: event.json) else { return }
            lock.withLock {
                switch json["type"]?.stringValue {
                case "agent_log":
                    logTimes[json["agent_id"]?.stringValue ?? "", default: []].append(now)
                    count += 1
                    last = now
                case "agent_status_changed" where json["status"] == "running":
                    runningTimes[json["agent_id"]?.stringValue ?? "", default: []].append(now)
                case "orchestrator_chat" where json["message"]?["sender_type"] == "agent":
                    resultRows += 1
                default: break
                }
            }
        }

        var results: Int { lock.withLock { resultRows } }
        var logs: Int { lock.withLock { count } }
        var lastLog: ContinuousClock.Instant? { lock.withLock { last } }

        func running(of agent: String, after instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
            lock.withLock { runningTimes[agent]?.first { $0 >= instant } }
        }

        func firstLog(of agent: String, after instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
            lock.withLock { logTimes[agent]?.first { $0 >= instant } }
        }
    }
}
