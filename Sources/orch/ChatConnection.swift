import Foundation
import PluginAPI

#if canImport(Glibc)
import Glibc
#endif

/// One connection to the UnixSocketTransport: JSON objects out, one per line;
/// lines in, read with an optional deadline. Used by `orch chat` and its tests
/// (`package`, so the OrchTesting library reaches it without `@testable`, which
/// release builds cannot compile).
package final class ChatConnection: @unchecked Sendable {
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case pathTooLong(String)
        case cannotConnect(path: String, reason: String)
        case closed

        package var description: String {
            switch self {
            case .pathTooLong(let path):
                "the socket path \(path) is longer than a Unix socket allows (107 bytes); use a shorter path"
            case .cannotConnect(let path, let reason):
                "cannot connect to \(path): \(reason); is `orch serve` running with the UnixSocketTransport? (choose the socket with --socket)"
            case .closed:
                "the connection is closed"
            }
        }
    }

    package let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var scanned = 0
    private let writeLock = NSLock()

    /// Wraps a connected stream socket (`path` names it in messages).
    package init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    package static func connect(path: String) throws(Failure) -> ChatConnection {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw .pathTooLong(path) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(path: path, reason: String(cString: strerror(errno))) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .cannotConnect(path: path, reason: reason)
        }
        return ChatConnection(path: path, fd: fd)
    }

    /// Sends one JSON object as a line. Safe from any thread.
    package func send(_ message: JSONValue) throws {
        var line = try JSON.encode(message)
        line.append(UInt8(ascii: "\n"))
        try sendRaw(line)
    }

    /// Sends bytes exactly as given (tests use this for malformed input).
    package func sendRaw(_ bytes: Data) throws {
        try writeLock.withLock {
            try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw Failure.closed
                    }
                    offset += written
                }
            }
        }
    }

    /// The next line without its newline; nil at the end of the stream, or when
    /// `timeout` passes first. Call from one thread at a time.
    package func readLine(timeout: Duration? = nil) -> Data? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                scanned = 0
                return line
            }
            scanned = buffer.count
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return nil }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(min(Int64(Int32.max), left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
                if poll(&poller, 1, milliseconds) == 0 { continue }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Shuts the connection down; a blocked `readLine` then returns nil. The
    /// descriptor itself is closed when the last reference goes, so a reader
    /// can never reach a reused descriptor number.
    package func close() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    deinit { Glibc.close(fd) }
}
