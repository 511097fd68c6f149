import Foundation
import Logging
import OrchHost
import PluginAPI

/// `orch-bench ws`: the WebSocketTransport, loaded as the host loads it and fed from the
/// host's EventBus, streams chunks at a model's pace to N clients in a child process.
/// Reports per-chunk delay (stamped just before `publish`, timed on arrival), the
/// server's memory per connection, and the idle RSS of `orch serve` with three plugins.
enum WebSocketBench {
    static let clientsCommand = "ws-clients"

    struct Settings {
        var clients = [1, 1000]
        var rate = 50
        var seconds = 10
        var memoryClients = 5000
    }

    static func run(_ arguments: [String]) async throws {
        var settings = Settings()
        var rest = arguments[...]
        while let name = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch name {
            case "--clients": settings.clients = value.split(separator: ",").compactMap { Int($0) }
            case "--rate": settings.rate = Int(value) ?? settings.rate
            case "--seconds": settings.seconds = Int(value) ?? settings.seconds
            case "--memory-clients": settings.memoryClients = Int(value) ?? settings.memoryClients
            default: print("unknown option \(name)"); return
            }
        }
        let chunks = settings.rate * settings.seconds
        print("chunk delay, model emission → client receive (\(chunks) chunks at \(settings.rate)/s):")
        print("(load average before: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"))")
        for count in settings.clients {
            let run = try await streamToClients(count, chunks: chunks, rate: settings.rate)
            print("  \(count) clients: \(run.result)")
        }
        let memory = try await streamToClients(settings.memoryClients, chunks: 0, rate: settings.rate)
        let perConnection = max(1, (memory.rssConnected - memory.rssIdle) / settings.memoryClients)
        print("memory: \(settings.memoryClients) idle connections add \(memory.rssConnected - memory.rssIdle) bytes to the server: "
              + "\(perConnection) bytes each, \((1 << 30) / perConnection) connections per GiB")
        let idle = try await idleHostRSS()
        print("idle RSS of `orch serve` (SQLiteStore, SwiftEchoPlugin backend, WebSocketTransport): \(idle / 1024) KiB")
    }

    struct Run {
        var result: String
        var rssIdle: Int
        var rssConnected: Int
    }

    static func streamToClients(_ count: Int, chunks: Int, rate: Int) async throws -> Run {
        let bus = EventBus(replayWindow: 4096)
        let requests = HostRequests()
        requests.register("ping") { _, _ in Data(#"{"pong":true}"#.utf8) }
        // The transport reads the host's message limit when it starts.
        requests.register("get_orchestrator") { _, _ in Data(#"{"orchestrator":{},"max_message_bytes":100000}"#.utf8) }
        let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: Logger(label: "bench"))
        let library = try loader.library("WebSocketTransport", relativeTo: "/")
        let options = #"{"listen":"127.0.0.1:0","auth":"none","static_dir":"/nonexistent","heartbeat_s":60,"client_queue_limit":100000}"#
        let transport = try loader.makeTransport(library, .init(label: "bench", config: Data(options.utf8), requests: requests, events: NoEvents()))
        bus.attach(transport)
        let address = try JSONDecoder().decode([String: String].self, from: try await transport.start())["listening"] ?? ""
        let port = address.split(separator: ":").last.map(String.init) ?? "0"
        let rssIdle = residentBytes()

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = [clientsCommand, "--port", port, "--clients", String(count), "--chunks", String(chunks)]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let lines = LineReader(output.fileHandleForReading)
        guard let connected = await lines.next(), connected.hasPrefix("connected") else { throw BenchFailure("clients did not connect") }
        let rssConnected = residentBytes()

        let orchestrator = UUID().uuidString.lowercased(), message = UUID().uuidString.lowercased()
        let cpuBefore = cpuNanoseconds()
        let start = ContinuousClock.now
        for index in 0..<chunks {
            // Paced like a model: chunk i leaves at start + i/rate, whatever the previous one cost.
            try await Task.sleep(until: start + .seconds(Double(index) / Double(rate)), clock: .continuous)
            let fields: [String: JSONValue] = [
                "orchestrator_agent_id": .string(orchestrator), "message_id": .string(message),
                "chunk": .string("t=\(monotonicNanoseconds())"), "is_complete": .bool(false),
            ]
            bus.publish(Event(kind: .wire, orchestratorID: orchestrator, json: WireMessages.make(.chatStream, fields)))
        }
        let result = await lines.next() ?? "no result"
        let frames = max(1, count * chunks)
        let cpu = "server CPU \((cpuNanoseconds() - cpuBefore) / UInt64(frames)) ns per frame delivered"
        child.waitUntilExit()
        try await transport.stop()
        bus.detachAll()
        await transport.ref.destroy()
        return Run(result: "\(connected); \(result); \(cpu)", rssIdle: rssIdle, rssConnected: rssConnected)
    }

    /// Starts `orch serve` with the WebSocketTransport and reads its RSS once it has settled.
    static func idleHostRSS() async throws -> Int {
        let (directory, config) = try ServedHost.scratchConfig(ServedHost.echoOverWebSocket)
        defer { try? FileManager.default.removeItem(at: directory) }
        let orch = try await ServedHost.start(config: config)
        defer { orch.stop() }
        // Settled: two readings a second apart agree within 1%.
        let pid = orch.process.processIdentifier
        var previous = residentBytes(pid: pid)
        for _ in 0..<20 {
            try await Task.sleep(for: .seconds(1))
            let now = residentBytes(pid: pid)
            if abs(now - previous) * 100 <= previous { return now }
            previous = now
        }
        return previous
    }

    struct NoEvents: HostEventSink {
        func publish(_ event: EventView, from plugin: String) {}
    }

    struct BenchFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Lines from a child's stdout, read on a background thread so the pool never blocks.
final class LineReader: @unchecked Sendable {
    private var iterator: AsyncStream<String>.Iterator

    init(_ handle: FileHandle) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        iterator = stream.makeAsyncIterator()
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 10) {
                    continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            continuation.finish()
        }
    }

    func next() async -> String? { await iterator.next() }
}
