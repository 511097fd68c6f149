import Foundation
import Logging
import OrchHost
import PluginAPI
import StoreModel

/// `orch-bench history [--rows N] [--requests N] [--seconds S]`: `/load_chat` as a browser
/// sees it — a real `orch serve` with SQLiteStore and the WebSocketTransport, a history of
/// `--rows` messages, requests over keep-alive HTTP/1.1 — timed end to end at the client
/// (docs/benchmarks.md, "History over HTTP"; issue #17's targets are printed beside them).
enum HistoryBench {
    static func run(_ arguments: [String]) async throws {
        let flags = try BenchFlags(arguments, known: ["--rows", "--requests", "--seconds"])
        let rows = try flags.count("--rows") ?? 1_000_000
        let requests = try flags.count("--requests") ?? 2_000
        let seconds = try flags.amount("--seconds") ?? 5
        let (directory, config) = try ServedHost.scratchConfig(ServedHost.echoOverWebSocket)
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeding = ContinuousClock.now
        let orchestrator = try await seed(rows: rows, path: directory.appendingPathComponent("orch.sqlite").path)
        Measure.say("history of \(rows) messages seeded in \(seeding.duration(to: .now)); one orch serve (SQLiteStore, WebSocketTransport)")
        let orch = try await ServedHost.start(config: config)
        defer { orch.stop() }
        guard let port = orch.port else { throw WebSocketBench.BenchFailure("orch serve printed no TCP address: \(orch.summary)") }

        for (limit, count, target) in [(50, requests, "≤ 1.5 ms p50"), (1_000, max(requests / 10, 20), "≤ 15 ms p50")] {
            let client = try HTTPClient(port: port)
            let body = Data(#"{"orchestrator_agent_id":"\#(orchestrator)","limit":\#(limit)}"#.utf8)
            var bytes = 0
            for _ in 0..<20 { bytes = try client.post("/load_chat", body).count } // warm: connection, statements, caches
            var samples: [Double] = []
            for _ in 0..<count {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try client.post("/load_chat", body)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            Measure.row("load_chat limit \(limit) (\(bytes / 1024) KiB), one client, p50", Measure.format(nanoseconds: Measure.percentile(samples, 50)),
                        target: target)
            Measure.row("load_chat limit \(limit), one client, p99", Measure.format(nanoseconds: Measure.percentile(samples, 99)))
        }

        let parallel = 8
        let body = Data(#"{"orchestrator_agent_id":"\#(orchestrator)","limit":50}"#.utf8)
        let clients = try (0..<parallel).map { _ in try HTTPClient(port: port) }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let counts = Counts()
        let started = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: parallel) { index in
            var done = 0
            while DispatchTime.now().uptimeNanoseconds < deadline, (try? clients[index].post("/load_chat", body)) != nil { done += 1 }
            counts.add(done)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        Measure.row("load_chat limit 50, \(parallel) parallel clients, \(Int(seconds)) s", String(format: "%.0f req/s", Double(counts.total) / elapsed),
                    target: "≥ 4× the original's")
    }

    /// Creates the singleton orchestrator `orch serve` will pick and gives it `rows` messages.
    private static func seed(rows: Int, path: String) async throws -> String {
        var logger = Logger(label: "orch-bench")
        logger.logLevel = .warning
        let loader = PluginLoader(locator: PluginLocator(configured: [ServedHost.binaries.path], relativeTo: "/"), logger: logger)
        let store = try loader.makeStore(try loader.library("SQLiteStore", relativeTo: "/"), .init(
            label: "SQLiteStore", config: try JSON.encode(["path": path]), requests: HostRequests(), events: WebSocketBench.NoEvents()))
        let id = try await store.api.getOrCreateOrchestrator().orchestrator.id
        var left = rows
        while left > 0 {
            let batch = min(left, 1_000_000)
            _ = try await store.diagnostics.bulkInsertChat(orchestratorID: id, count: batch)
            left -= batch
        }
        await store.ref.destroy()
        return id
    }

    private final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var sum = 0
        func add(_ count: Int) { lock.withLock { sum += count } }
        var total: Int { lock.withLock { sum } }
    }
}

/// The least an HTTP/1.1 client can be: one keep-alive connection, blocking calls, the body
/// read by its Content-Length. Timing the server, not a client library.
final class HTTPClient: @unchecked Sendable {
    private let fd: Int32
    private let port: Int
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw WebSocketBench.BenchFailure("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// The response body of a 200; anything else is an error naming the status.
    func post(_ path: String, _ body: Data) throws -> [UInt8] {
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        try send(Array(head.utf8) + body)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.firstRange(of: [13, 10, 13, 10])?.upperBound
            if headEnd == nil { try receive() }
        }
        let header = String(decoding: buffer[..<(headEnd ?? 0)], as: UTF8.self)
        guard header.hasPrefix("HTTP/1.1 200") else { throw WebSocketBench.BenchFailure("load_chat answered \(header.prefix(40))") }
        let length = header.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let start = headEnd ?? 0
        while buffer.count < start + length { try receive() }
        let response = Array(buffer[start..<(start + length)])
        buffer.removeFirst(start + length)
        return response
    }

    private func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw WebSocketBench.BenchFailure("send failed: \(String(cString: strerror(errno)))") }
            sent += written
        }
    }

    private func receive() throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { throw WebSocketBench.BenchFailure("the server closed the connection") }
        buffer += chunk[..<count]
    }
}
