import NIOCore

/// Server-to-client WebSocket frames, encoded by hand: a server frame is never masked,
/// so a host event is encoded once and the same bytes go to every client, one buffer
/// per write instead of a header allocated per client.
enum ServerFrame {
    static let text: UInt8 = 0x1
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    static func encode(_ opcode: UInt8, _ payload: some Collection<UInt8>, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: payload.count + 10)
        buffer.writeInteger(0x80 | opcode)  // FIN: the transport never fragments
        switch payload.count {
        case ..<126:
            buffer.writeInteger(UInt8(payload.count))
        case ...Int(UInt16.max):
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(payload)
        return buffer
    }

    static func encode(_ opcode: UInt8, _ payload: ByteBuffer, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        encode(opcode, payload.readableBytesView, allocator: allocator)
    }
}
