import Foundation
import OrchTesting

/// Malformed client input, generated deterministically from a seed, each case with
/// what the server must answer: an `error` frame with a code, or a close with a code.
struct FuzzCorpus: Sequence, IteratorProtocol {
    enum Expected: Equatable {
        /// An error frame with one of these codes; the connection stays open.
        case error([String])
        /// A close frame with this code and a non-empty reason.
        case close(UInt16)
    }

    struct Case {
        var bytes: [UInt8]
        var expected: Expected
        var label: String
    }

    private var random: SeededRandom
    private var remaining: Int
    private let orchestratorID = "5b0e9c52-7a11-4c3e-9d1f-3a2b1c0d9e8f"
    private let maxFrameBytes: Int

    init(seed: UInt64, count: Int, maxFrameBytes: Int) {
        random = SeededRandom(seed: seed)
        remaining = count
        self.maxFrameBytes = maxFrameBytes
    }

    mutating func next() -> Case? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        // About one case in twenty breaks the framing itself and costs a connection.
        return random.next() % 20 == 0 ? protocolCase() : payloadCase()
    }

    private mutating func text(_ string: String, _ codes: [String], _ label: String) -> Case {
        Case(bytes: RawWebSocket.frame(opcode: 0x1, payload: Array(string.utf8)), expected: .error(codes), label: label)
    }

    private mutating func payloadCase() -> Case {
        switch random.next() % 12 {
        case 0:
            let bytes = random.bytes(Int(random.next() % 200 + 1))
            return Case(bytes: RawWebSocket.frame(opcode: 0x1, payload: bytes), expected: .error(["invalid_utf8", "invalid_json"]), label: "random bytes")
        case 1:
            let scalars = (0..<Int(random.next() % 80 + 1)).map { _ in Character(UnicodeScalar(UInt8(random.next() % 94 + 33))) }
            return text(String(scalars), ["invalid_json"], "printable garbage")
        case 2:
            let values = ["1", "-0.5e9", "\"type\"", "null", "true", "[]", "[{\"type\":\"ping\"}]", "\"\\u0000\"", "1e999"]
            return text(values[Int(random.next() % UInt64(values.count))], ["invalid_json"], "not an object")
        case 3:
            let bodies = [#"{}"#, #"{"type":null}"#, #"{"type":42}"#, #"{"type":["ping"]}"#, #"{"type":{"a":1}}"#, #"{"Type":"ping"}"#]
            return text(bodies[Int(random.next() % UInt64(bodies.count))], ["invalid_request"], "no usable type")
        case 4:
            var name = String((0..<Int(random.next() % 20 + 1)).map { _ in Character(UnicodeScalar(UInt8(random.next() % 26 + 97))) })
            if ["ping", "resume", "interrupt"].contains(name) { name += "x" }
            return text(#"{"type":"\#(name)","x":\#(random.next() % 1000)}"#, ["unknown_type"], "unknown type")
        case 5:
            let bad = [
                (#"{"type":"chat_message","orchestrator_agent_id":"not-a-uuid","message":"hi"}"#, "invalid_uuid"),
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(orchestratorID)","message":""}"#, "empty_message"),
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(orchestratorID)","message":"   "}"#, "empty_message"),
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(orchestratorID)","message":7}"#, "invalid_request"),
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(orchestratorID)"}"#, "invalid_request"),
                (#"{"type":"chat_message","message":"hi"}"#, "invalid_request"),
                (#"{"type":"chat_message","orchestrator_agent_id":12,"message":"hi"}"#, "invalid_request"),
                (#"{"type":"interrupt","orchestrator_agent_id":"zz"}"#, "invalid_uuid"),
                (#"{"type":"resume","orchestrator_agent_id":"\#(orchestratorID)","last_seq":"1"}"#, "invalid_request"),
                (#"{"type":"resume","orchestrator_agent_id":"\#(orchestratorID)","last_seq":-5}"#, "invalid_request"),
                (#"{"type":"resume","orchestrator_agent_id":"\#(orchestratorID)","last_seq":1.5}"#, "invalid_request"),
                (#"{"type":"resume","orchestrator_agent_id":"\#(orchestratorID)"}"#, "invalid_request"),
                (#"{"type":"ping","request_id":{"a":1}}"#, "invalid_request"),
                (#"{"type":"ping","request_id":"\#(String(repeating: "r", count: 200))"}"#, "invalid_request"),
            ]
            let (body, code) = bad[Int(random.next() % UInt64(bad.count))]
            return text(body, [code], "bad fields")
        case 6:
            let message = String(repeating: "m", count: 2048)
            return text(#"{"type":"chat_message","orchestrator_agent_id":"\#(orchestratorID)","message":"\#(message)"}"#, ["message_too_large"], "message too large")
        case 7:
            let valid = #"{"type":"chat_message","orchestrator_agent_id":"not-a-uuid","message":"hello","request_id":7}"#
            let cut = Int(random.next() % UInt64(valid.utf8.count - 1)) + 1
            return text(String(valid.prefix(cut - 1)), ["invalid_json"], "truncated")
        case 8:
            let depth = Int(random.next() % 5000) + 600
            return text(String(repeating: "[", count: depth) + String(repeating: "]", count: depth), ["invalid_json"], "deep nesting")
        case 9:
            let bytes = random.bytes(Int(random.next() % 300))
            return Case(bytes: RawWebSocket.frame(opcode: 0x2, payload: bytes), expected: .error(["binary_not_supported"]), label: "binary")
        case 10:
            // A fragmented bad message: two text fragments that together are invalid.
            let first = RawWebSocket.frame(opcode: 0x1, payload: Array(#"{"type":"#.utf8), fin: false)
            let second = RawWebSocket.frame(opcode: 0x0, payload: Array(#""nope"}"#.utf8))
            return Case(bytes: first + second, expected: .error(["unknown_type"]), label: "fragmented")
        default:
            var bytes = Array(#"{"type":"interrupt","orchestrator_agent_id":"not-a-uuid-at-all"}"#.utf8)
            for _ in 0..<Int(random.next() % 4 + 1) {
                let index = Int(random.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: random.next())
            }
            return Case(bytes: RawWebSocket.frame(opcode: 0x1, payload: bytes),
                        expected: .error(["invalid_utf8", "invalid_json", "invalid_request", "unknown_type", "invalid_uuid"]), label: "mutated")
        }
    }

    private mutating func protocolCase() -> Case {
        let payload = Array(#"{"type":"ping"}"#.utf8)
        switch random.next() % 8 {
        case 0: return Case(bytes: RawWebSocket.frame(opcode: 0x1, payload: payload, masked: false), expected: .close(1002), label: "unmasked")
        case 1: return Case(bytes: RawWebSocket.frame(opcode: 0x1, payload: payload, rsv: UInt8(random.next() % 7 + 1)), expected: .close(1002), label: "reserved bits")
        case 2:
            let opcodes: [UInt8] = [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF]
            return Case(bytes: RawWebSocket.frame(opcode: opcodes[Int(random.next() % 10)], payload: payload), expected: .close(1002), label: "bad opcode")
        case 3: return Case(bytes: RawWebSocket.frame(opcode: 0x0, payload: payload), expected: .close(1002), label: "stray continuation")
        case 4:
            return Case(bytes: RawWebSocket.frame(opcode: 0x1, payload: [], length: UInt64(maxFrameBytes) + 1 + random.next() % (1 << 40)),
                        expected: .close(1009), label: "oversize length")
        case 5: return Case(bytes: RawWebSocket.frame(opcode: 0x9, payload: [1, 2], fin: false), expected: .close(1002), label: "fragmented ping")
        case 6: return Case(bytes: RawWebSocket.frame(opcode: 0x9, payload: Array(repeating: 7, count: 126)), expected: .close(1002), label: "long ping")
        default:
            let first = RawWebSocket.frame(opcode: 0x1, payload: Array("{".utf8), fin: false)
            return Case(bytes: first + RawWebSocket.frame(opcode: 0x1, payload: payload), expected: .close(1002), label: "interleaved message")
        }
    }
}
