import Foundation
import OrchTesting
import PluginAPI

/// A minimal WebSocket client (RFC 6455) over a real TCP socket, as a browser
/// talks to the WebSocketTransport: the upgrade, masked text frames out, text
/// frames in (parsed as JSON), pings answered. Read on its own thread.
final class WebSocketClient: MessageLog, @unchecked Sendable {
    private let fd: Int32
    private let writeLock = NSLock()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `host:port` and upgrades `/ws`.
    init(_ address: String) throws {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw Failure(description: "\(address) is not host:port")
        }
        let host = String(address[..<colon])
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &socketAddress.sin_addr)
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        fd = descriptor
        super.init()
        guard fd >= 0, connected == 0 else { throw Failure(description: "cannot connect to \(address): \(String(cString: strerror(errno)))") }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try write(Data("GET /ws HTTP/1.1\r\nHost: \(address)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        var head = [UInt8]()
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            var byte: UInt8 = 0
            guard recv(fd, &byte, 1, 0) == 1 else { throw Failure(description: "the upgrade got no answer") }
            head.append(byte)
        }
        let status = String(decoding: head, as: UTF8.self)
        guard status.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "the upgrade was refused: \(status)") }
        Thread { [self] in readFrames() }.start()
    }

    deinit { close(fd) }

    func send(_ message: JSONValue) throws {
        recordSent(message)
        try sendFrame(opcode: 1, payload: try JSON.encode(message))
    }

    private func sendFrame(opcode: UInt8, payload: Data) throws {
        var frame = Data([0x80 | opcode])
        switch payload.count {
        case ..<126: frame.append(0x80 | UInt8(payload.count))
        case ..<65536: frame.append(0x80 | 126); frame.append(contentsOf: [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)])
        default: frame.append(0x80 | 127); frame.append(contentsOf: (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) })
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame.append(contentsOf: mask)
        frame.append(contentsOf: payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try write(frame)
    }

    private func write(_ data: Data) throws {
        try writeLock.withLock {
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    guard sent > 0 else { throw Failure(description: "the connection is closed") }
                    offset += sent
                }
            }
        }
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        return bytes
    }

    private func readFrames() {
        var message: [UInt8] = []
        while let header = readExactly(2) {
            let opcode = header[0] & 0x0F, fin = header[0] & 0x80 != 0
            var length = Int(header[1] & 0x7F)
            if length == 126, let extended = readExactly(2) { length = Int(extended[0]) << 8 | Int(extended[1]) }
            if length == 127, let extended = readExactly(8) { length = extended.reduce(0) { $0 << 8 | Int($1) } }
            guard let payload = readExactly(length) else { break }
            switch opcode {
            case 0, 1:
                message += payload
                if fin {
                    record((try? JSON.decode(JSONValue.self, from: Data(message))) ?? .null)
                    message = []
                }
            case 8: end(); return
            case 9: try? sendFrame(opcode: 10, payload: Data(payload))
            default: break
            }
        }
        end()
    }
}
