import NIOCore
import PluginAPI

/// A host event on its way to clients: the wire JSON copied once into a complete
/// WebSocket frame that every connection writes as is (ByteBuffer is copy-on-write,
/// so no per-client copy).
struct OutboundEvent: Sendable {
    let orchestratorID: String
    let seq: UInt64
    let frame: ByteBuffer
    let isChunk: Bool
    let deliveredAt: NIODeadline

    /// Only to count chunks for /metrics, so a byte search, not a JSON parse.
    private static let chunkMarker = Array(#""type":"chat_stream""#.utf8)

    init(orchestratorID: String, seq: UInt64, json: some Collection<UInt8>, deliveredAt: NIODeadline = .now()) {
        self.orchestratorID = orchestratorID
        self.seq = seq
        self.deliveredAt = deliveredAt
        frame = ServerFrame.encode(ServerFrame.text, json)
        isChunk = frame.withUnsafeReadableBytes { Self.contains($0, Self.chunkMarker) }
    }

    /// From `deliver`: the view is borrowed, so the bytes are copied before returning.
    init(_ view: EventView) {
        let json = view.json
        let bytes = json.ptr.map { UnsafeBufferPointer(start: $0, count: json.len) } ?? UnsafeBufferPointer(start: nil, count: 0)
        self.init(orchestratorID: view.orchestratorID.string, seq: view.seq, json: bytes)
    }

    private static func contains(_ bytes: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count, let first = needle.first else { return false }
        var start = 0
        while start <= bytes.count - needle.count {
            if bytes[start] == first, (1..<needle.count).allSatisfy({ bytes[start + $0] == needle[$0] }) { return true }
            start += 1
        }
        return false
    }
}
