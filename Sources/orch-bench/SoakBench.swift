import AnthropicLoopback
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import NIOPosix

/// `orch-bench soak`: the real `orch serve` (SQLite, ClaudeBackend on the real CLI
/// against the loopback, WebSocketTransport) under a steady load for an hour —
/// one chat every 2 s, watching WebSocket clients, a history load every 10 s —
/// with the host's RSS sampled every 10 s. Prints the curve's start, the value
/// at 5 minutes, the end and the slope after the first 5 minutes.
enum SoakBench {
    struct Settings {
        var minutes = 60.0
        var clients = 20
        var chatEvery = 2.0
        var historyEvery = 10.0
        var sampleEvery = 10.0

        init(_ arguments: [String]) throws {
            let flags = try BenchFlags(arguments, known: ["--minutes", "--clients", "--chat-every-s", "--history-every-s", "--sample-every-s"])
            minutes = try flags.amount("--minutes") ?? minutes
            clients = try flags.count("--clients") ?? clients
            chatEvery = try flags.amount("--chat-every-s") ?? chatEvery
            historyEvery = try flags.amount("--history-every-s") ?? historyEvery
            sampleEvery = try flags.amount("--sample-every-s") ?? sampleEvery
        }
    }

    static func run(_ arguments: [String]) async throws {
        let settings = try Settings(arguments)
        let loopback = try await AnthropicLoopback.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("work"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let host = try await startHost(in: directory, loopback: loopback)
        defer { host.stop() }
        guard let port = host.port else { throw BenchFailure("orch serve printed no listening address: \(host.summary)") }
        let orch = host.process
        say("soak: orch pid \(orch.processIdentifier) on port \(port), \(settings.clients) watchers, a chat every \(settings.chatEvery) s, "
              + "history every \(settings.historyEvery) s, for \(settings.minutes) min")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tally = BenchClients.Tally()
        var watchers: [any Channel] = []
        for _ in 0..<settings.clients {
            let handler = BenchClients.ClientHandler(tally: tally, port: port)
            watchers.append(try await ClientBootstrap(group: group)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
                .connect(host: "127.0.0.1", port: port).get())
        }
        let base = "http://127.0.0.1:\(port)"
        let orchestrator = (try await json(base + "/get_orchestrator")["orchestrator"] as? [String: Any])?["id"] as? String ?? ""

        let start = ContinuousClock.now
        let end = start + .seconds(settings.minutes * 60)
        var samples: [(minutes: Double, megabytes: Double)] = []
        var nextChat = start, nextHistory = start, nextSample = start
        var chats = 0, histories = 0, failures = 0
        while ContinuousClock.now < end {
            let now = ContinuousClock.now
            if now >= nextSample {
                let minutes = Double((now - start).components.seconds) / 60
                let megabytes = Double(residentBytes(pid: orch.processIdentifier)) / 1_048_576
                samples.append((minutes, megabytes))
                say(String(format: "  t=%6.2f min  rss=%7.2f MB  chats=%d histories=%d failures=%d", minutes, megabytes, chats, histories, failures))
                nextSample += .seconds(settings.sampleEvery)
            }
            if now >= nextChat {
                do {
                    _ = try await json(base + "/send_chat", ["orchestrator_agent_id": orchestrator, "message": "soak message \(chats)"])
                    chats += 1
                } catch {
                    failures += 1
                    if failures <= 3 { say("  chat failed: \(error)") }
                }
                nextChat += .seconds(settings.chatEvery)
            }
            if now >= nextHistory {
                let ok = (try? await json(base + "/load_chat", ["orchestrator_agent_id": orchestrator, "limit": 50])) != nil
                if ok { histories += 1 } else { failures += 1 }
                nextHistory += .seconds(settings.historyEvery)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        for watcher in watchers { watcher.close(promise: nil) }
        try await group.shutdownGracefully()
        await loopback.shutdown()
        report(samples, chats: chats, histories: histories, failures: failures)
    }

    static func report(_ samples: [(minutes: Double, megabytes: Double)], chats: Int, histories: Int, failures: Int) {
        guard let first = samples.first, let last = samples.last else { return say("soak: no samples") }
        let settled = samples.filter { $0.minutes >= 5 }
        let atFive = settled.first ?? first
        // Least-squares slope over the samples after the first 5 minutes.
        let points = settled.count >= 2 ? settled : samples
        let n = Double(points.count)
        let meanX = points.map(\.minutes).reduce(0, +) / n, meanY = points.map(\.megabytes).reduce(0, +) / n
        let covariance = points.map { ($0.minutes - meanX) * ($0.megabytes - meanY) }.reduce(0, +)
        let variance = points.map { ($0.minutes - meanX) * ($0.minutes - meanX) }.reduce(0, +)
        let slope = variance > 0 ? covariance / variance : 0
        say(String(format: "soak RSS: start %.2f MB, at 5 min %.2f MB, end %.2f MB (%.1f min), end − 5 min %+.2f MB (target within 5 MB), slope after 5 min %+.3f MB/min",
                     first.megabytes, atFive.megabytes, last.megabytes, last.minutes, last.megabytes - atFive.megabytes, slope))
        say("soak load: \(chats) chats, \(histories) history loads, \(failures) failed requests")
    }

    /// Starts `orch serve` on the real plugins against the loopback.
    private static func startHost(in directory: URL, loopback: AnthropicLoopback) async throws -> ServedHost {
        let config = directory.appendingPathComponent("orch.toml")
        try """
            [host]
            plugin_dirs = ["\(ServedHost.binaries.path)"]
            working_dir = "\(directory.appendingPathComponent("work").path)"
            [store]
            plugin = "SQLiteStore"
            [store.options]
            path = "\(directory.appendingPathComponent("orch.sqlite").path)"
            [backend]
            plugin = "ClaudeBackend"
            [backend.options]
            model = "claude-sonnet-4-5"
            tools = []
            config_dir = "\(directory.appendingPathComponent("claude").path)"
            env = { ANTHROPIC_BASE_URL = "\(loopback.baseURL)", ANTHROPIC_API_KEY = "soak-key", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1" }
            [[transports]]
            plugin = "WebSocketTransport"
            [transports.options]
            listen = "127.0.0.1:0"
            auth = "none"
            """.write(to: config, atomically: true, encoding: .utf8)
        return try await ServedHost.start(config: config)
    }

    /// GET without a body, POST with one; the reply as a JSON object.
    private static func json(_ url: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url)!)
        if let body {
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else { throw BenchFailure("\(url): \(String(decoding: data, as: UTF8.self))") }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Unbuffered: an hour-long run shows its samples as they come, even piped to a file.
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
