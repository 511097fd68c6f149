import Foundation
import OrchTesting
import PluginAPI
import NIOCore
import NIOPosix
import NIOSSL

/// A plain TCP connection on SwiftNIO that sends exactly the bytes it is given and
/// collects what comes back: for requests a polite client would never send
/// (traversal paths, forged Host headers, malformed WebSocket frames) and for a
/// client that stops reading.
final class RawConnection: @unchecked Sendable {
    let channel: any Channel
    private let collector: Collector

    /// `from`: the local address to connect from (another loopback address, e.g. 127.0.0.2, is another client address);
    /// `tls`: speak TLS, trusting any certificate (the tests' own are self-signed).
    static func open(host: String = "127.0.0.1", port: Int, reading: Bool = true, from source: String? = nil,
                     tls: Bool = false) async throws -> RawConnection {
        let collector = Collector()
        let context = tls ? try Self.trustingClientContext() : nil
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        if !reading {
            // A small receive window, so a client that never reads backs the server up quickly.
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: 4096)
        }
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    private static func trustingClientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try NIOSSLContext(configuration: configuration)
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    var isClosed: Bool { collector.state.closed }
    /// When the connection was seen to close, or nil while it is open.
    var closedAt: ContinuousClock.Instant? { collector.closedAt }

    /// Waits until `parse` can take a value from the front of the received bytes, which it then removes.
    func receive<T>(timeout: Duration = .seconds(10), _ parse: ([UInt8]) -> (value: T, consumed: Int)?) async -> T? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = collector.take(parse) { return value }
            if collector.state.closed { return collector.take(parse) }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    func waitUntilClosed(timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) { collector.state.closed }
    }

    /// Waits for the connection to close, without polling: a fuzz run awaits hundreds at once.
    func closed(within timeout: Duration) async -> Bool {
        let channel = channel
        let outcome = channel.eventLoop.makePromise(of: Bool.self)
        let once = Once()
        @Sendable func settle(_ closed: Bool) { if once.claim() { outcome.succeed(closed) } }
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { settle(false) }
        channel.closeFuture.whenComplete { _ in
            timer.cancel()
            settle(true)
        }
        return (try? await outcome.futureResult.get()) ?? false
    }

    /// Every complete response received so far, taken from the front of what arrived.
    func responses() -> [RawHTTP.Response] {
        var responses: [RawHTTP.Response] = []
        while let response = collector.take(RawHTTP.parse) { responses.append(response) }
        return responses
    }

    /// How many bytes arrived that are not yet taken.
    var pendingBytes: Int { collector.state.count }

    func close() { channel.close(promise: nil) }

    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        private var closed = false
        private var closedInstant: ContinuousClock.Instant?

        var state: (count: Int, closed: Bool) { lock.withLock { (bytes.count, closed) } }
        var closedAt: ContinuousClock.Instant? { lock.withLock { closedInstant } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            lock.withLock { bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            let now = ContinuousClock.now
            lock.withLock { (closed, closedInstant) = (true, now) }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

        func take<T>(_ parse: ([UInt8]) -> (value: T, consumed: Int)?) -> T? {
            lock.withLock {
                guard let (value, consumed) = parse(bytes) else { return nil }
                bytes.removeFirst(consumed)
                return value
            }
        }
    }
}

/// True for the first caller only: a promise two callbacks race to complete.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool { lock.withLock { defer { claimed = true }; return !claimed } }
}

/// One HTTP/1.1 exchange over a raw connection, the request written byte for byte.
struct RawHTTP {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body)) }
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? { json?["error"]?["code"]?.stringValue }
        var errorMessage: String? { json?["error"]?["message"]?.stringValue }
    }

    static func request(port: Int, _ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = [],
                        from source: String? = nil, tls: Bool = false) async throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        var fields = ["Host": "127.0.0.1:\(port)", "Connection": "close"]
        if !body.isEmpty || method == "POST" { fields["Content-Length"] = String(body.count) }
        fields.merge(headers) { $1 }
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) where !value.isEmpty { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let connection = try await RawConnection.open(port: port, from: source, tls: tls)
        defer { connection.close() }
        try await connection.send(Array(head.utf8) + body)
        let parse = method == "HEAD" ? Self.parseHead : Self.parse
        guard let response = await connection.receive(parse) else { throw Failure(message: "no complete HTTP response to \(method) \(target)") }
        return response
    }

    static func get(port: Int, _ target: String, headers: [String: String] = [:], from source: String? = nil) async throws -> Response {
        try await request(port: port, "GET", target, headers: headers, from: source)
    }

    static func postJSON(port: Int, _ target: String, _ body: String, headers: [String: String] = [:]) async throws -> Response {
        try await request(port: port, "POST", target, headers: ["Content-Type": "application/json"].merging(headers) { $1 }, body: Array(body.utf8))
    }

    struct Failure: Error { var message: String }

    /// A response to HEAD: Content-Length describes a body that is not sent.
    static func parseHead(_ bytes: [UInt8]) -> (value: Response, consumed: Int)? {
        parse(bytes, withBody: false)
    }

    /// A complete response: head, then Content-Length bytes of body.
    static func parse(_ bytes: [UInt8]) -> (value: Response, consumed: Int)? {
        parse(bytes, withBody: true)
    }

    private static func parse(_ bytes: [UInt8], withBody: Bool) -> (value: Response, consumed: Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = withBody ? Int(headers["content-length"] ?? "0") ?? 0 : 0
        let bodyStart = end + 4
        guard bytes.count >= bodyStart + length else { return nil }
        return (Response(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length])), bodyStart + length)
    }
}
