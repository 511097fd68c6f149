import Foundation
import PluginAPI

/// A WebSocket spoken by hand over a raw connection, so tests can send frames no
/// real client would (unmasked, reserved bits, bad opcodes, lying lengths).
final class RawWebSocket: @unchecked Sendable {
    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(payload)) }
        var closeCode: UInt16? { opcode == 0x8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
        var closeReason: String { opcode == 0x8 && payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : "" }
    }

    let connection: RawConnection

    private init(_ connection: RawConnection) { self.connection = connection }

    static func connect(port: Int, headers: [String: String] = [:], reading: Bool = true, tls: Bool = false) async throws -> RawWebSocket {
        let connection = try await RawConnection.open(port: port, reading: reading, tls: tls)
        var request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
        try await connection.send(request + "\r\n")
        let socket = RawWebSocket(connection)
        guard reading else { return socket }
        guard let response = await connection.receive(RawHTTP.parse), response.status == 101 else {
            throw RawHTTP.Failure(message: "the WebSocket handshake was refused")
        }
        return socket
    }

    func send(_ bytes: [UInt8]) async throws { try await connection.send(bytes) }

    func sendText(_ text: String) async throws { try await send(Self.frame(opcode: 0x1, payload: Array(text.utf8))) }

    /// The next frame from the server, answering its pings on the way.
    func next(timeout: Duration = .seconds(10)) async -> Frame? {
        while let frame = await connection.receive(timeout: timeout, Self.parse) {
            if frame.opcode == 0x9 {
                try? await send(Self.frame(opcode: 0xA, payload: frame.payload))
                continue
            }
            return frame
        }
        return nil
    }

    /// A client frame; masked unless told otherwise, `length` may lie about the payload.
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0, length: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 0x7) << 4 | (opcode & 0xF)]
        let declared = length ?? UInt64(payload.count)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if declared < 126 {
            bytes.append(maskBit | UInt8(declared))
        } else if declared <= UInt64(UInt16.max) {
            bytes.append(maskBit | 126)
            bytes += [UInt8(declared >> 8 & 0xFF), UInt8(declared & 0xFF)]
        } else {
            bytes.append(maskBit | 127)
            bytes += (0..<8).reversed().map { UInt8(declared >> (UInt64($0) * 8) & 0xFF) }
        }
        guard masked else { return bytes + payload }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    static func parse(_ bytes: [UInt8]) -> (value: Frame, consumed: Int)? {
        parse(bytes[...])
    }

    /// Every complete frame at the front of `bytes`, in one pass: a client that read
    /// nothing for a while has thousands waiting, too many to take one at a time.
    static func frames(_ bytes: [UInt8]) -> (value: [Frame], consumed: Int)? {
        var frames: [Frame] = [], consumed = 0
        while let (frame, length) = parse(bytes[consumed...]) {
            frames.append(frame)
            consumed += length
        }
        return frames.isEmpty ? nil : (frames, consumed)
    }

    /// Frames until the server's close frame, or nil if none comes within `timeout`.
    func framesUntilClose(timeout: Duration = .seconds(10)) async -> [Frame]? {
        var frames: [Frame] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, let batch = await connection.receive(timeout: deadline - .now, Self.frames) {
            frames += batch
            if batch.contains(where: { $0.opcode == 0x8 }) { return frames }
        }
        return nil
    }

    /// One frame from the front of `bytes`, a slice at any offset.
    private static func parse(_ bytes: ArraySlice<UInt8>) -> (value: Frame, consumed: Int)? {
        let base = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        var length = UInt64(bytes[base + 1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = UInt64(bytes[base + 2]) << 8 | UInt64(bytes[base + 3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[(base + 2)..<(base + 10)].reduce(0) { $0 << 8 | UInt64($1) }
            offset = 10
        }
        guard UInt64(bytes.count - offset) >= length else { return nil }
        let end = offset + Int(length)
        return (Frame(fin: bytes[base] & 0x80 != 0, opcode: bytes[base] & 0x0F, payload: Array(bytes[(base + offset)..<(base + end)])), end)
    }
}
