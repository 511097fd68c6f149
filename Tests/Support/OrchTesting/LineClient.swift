import Foundation
import orch
import PluginAPI

/// A client of a line-delimited JSON transport for tests (the UnixSocketTransport,
/// or the TCP NIOLineTransport): it sends JSON lines and keeps every line it
/// receives, read on its own thread so waiting never blocks the Swift
/// concurrency pool the tests share.
public final class LineClient: MessageLog, @unchecked Sendable {
    private let connection: ChatConnection
    private let rawLock = NSLock()
    private var raw: [Data] = []

    /// Connects to a Unix socket; with `reading: false` nothing is read until
    /// `startReading()` (a client that stalls).
    public convenience init(_ path: String, reading: Bool = true) throws {
        try self.init(ChatConnection.connect(path: path), reading: reading)
    }

    package init(_ connection: ChatConnection, reading: Bool = true) {
        self.connection = connection
        super.init()
        if reading { startReading() }
    }

    /// Connects over TCP to `host:port`.
    public static func tcp(_ address: String) throws -> LineClient {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw ChatConnection.Failure.cannotConnect(path: address, reason: "not host:port")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        inet_pton(AF_INET, String(address[..<colon]), &socketAddress.sin_addr)
        let result = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, result == 0 else {
            if fd >= 0 { Glibc.close(fd) }
            throw ChatConnection.Failure.cannotConnect(path: address, reason: String(cString: strerror(errno)))
        }
        return LineClient(ChatConnection(path: address, fd: fd))
    }

    public func startReading() {
        Thread { [self] in
            while let line = connection.readLine() {
                rawLock.withLock { raw.append(line) }
                record((try? JSON.decode(JSONValue.self, from: line)) ?? .null)
            }
            end()
        }.start()
    }

    /// Every line received, as bytes (without its newline), parallel to `lines`.
    public var rawLines: [Data] { rawLock.withLock { raw } }

    public func send(_ message: JSONValue) throws {
        recordSent(message)
        try connection.send(message)
    }

    public func sendRaw(_ bytes: Data) throws { try connection.sendRaw(bytes) }
    public func sendRaw(_ text: String) throws { try connection.sendRaw(Data(text.utf8)) }
    public func close() { connection.close() }

    /// Sends a request and returns the reply of `replyType` that follows it.
    public func ask(_ message: JSONValue, reply replyType: String = "ack", timeout: Duration = .seconds(15)) async throws -> JSONValue? {
        let before = lines.count
        try send(message)
        return await next(replyType, after: before, timeout: timeout)
    }

    /// The orchestrator id, asked the way a client does.
    public func orchestratorID() async throws -> String {
        try await ask(["type": "get_orchestrator"])?["orchestrator"]?["id"]?.stringValue ?? ""
    }
}
