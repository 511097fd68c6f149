import Foundation
import OrchTesting

/// HTTP requests generated deterministically from a seed (the WebSocket side has
/// `FuzzCorpus`): valid ones, truncations, mutations of valid ones, oversize heads, bad
/// chunked bodies and pipelined requests, each with what the server must do before it
/// closes the connection.
struct HTTPFuzzCorpus: Sequence, IteratorProtocol {
    enum Expected: Equatable {
        /// Responses with these statuses, in order, then a close.
        case statuses([Int])
        /// One 408 `request_timeout` whose message names this option, then a close.
        case timeout(String)
        /// This status, or a bare close: the server stops reading and closes while the
        /// client is still sending, and the reset that causes may overtake the answer.
        case refused(Int)
        /// Responses or none, then a close: a mutation's meaning cannot be predicted, only that it ends.
        case anything
    }

    struct Case {
        var bytes: [UInt8]
        var expected: Expected
        var label: String
    }

    /// A valid request; `Connection: close` is added when it is the last on its connection.
    private struct Template {
        var head: String
        var body: [UInt8] = []
        var status: Int
        /// Whether the route waits for the body before answering (a 415 does not).
        var readsBody = true

        func bytes(closing: Bool) -> [UInt8] { Array((head + (closing ? "Connection: close\r\n" : "") + "\r\n").utf8) + body }
        func headLength(closing: Bool) -> Int { bytes(closing: closing).count - body.count }
    }

    private var random: SeededRandom
    private var remaining: Int
    private let templates: [Template]
    private let host: String

    init(seed: UInt64, count: Int, port: Int, orchestratorID: String) {
        random = SeededRandom(seed: seed)
        remaining = count
        host = "Host: 127.0.0.1:\(port)\r\n"
        let host = host
        func get(_ target: String, _ status: Int, method: String = "GET") -> Template {
            Template(head: "\(method) \(target) HTTP/1.1\r\n\(host)User-Agent: fuzz\r\n", status: status)
        }
        func post(_ target: String, _ body: String, _ status: Int, type: String = "application/json") -> Template {
            Template(head: "POST \(target) HTTP/1.1\r\n\(host)Content-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n",
                     body: Array(body.utf8), status: status, readsBody: status != 415)
        }
        let load = #"{"orchestrator_agent_id":"\#(orchestratorID)","limit":5}"#
        templates = [
            get("/health", 200), get("/metrics", 200), get("/get_orchestrator", 200), get("/", 200), get("/assets/style.css", 200),
            get("/ws", 426), get("/missing.txt", 404), get("/%2e%2e/etc/passwd", 400), get("/health", 405, method: "DELETE"),
            post("/load_chat", load, 200), post("/interrupt", #"{"orchestrator_agent_id":"\#(orchestratorID)"}"#, 200),
            post("/send_chat", #"{"message":"hi","orchestrator_agent_id":"not-a-uuid"}"#, 400),
            post("/load_chat", "{not json", 400), post("/load_chat", load, 415, type: "text/plain"),
            Template(head: "POST /load_chat HTTP/1.1\r\n\(host)Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                     body: Self.chunked(Array(load.utf8), sizes: [7, 20]), status: 200),
        ]
    }

    mutating func next() -> Case? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        switch random.next() % 20 {
        case 0, 1: return valid()
        case 2, 3, 4: return pipelined()
        case 5, 6, 7, 8, 9, 10: return truncated()
        case 11, 12, 13, 14, 15: return mutated()
        case 16, 17: return oversize()
        default: return badChunked()
        }
    }

    private mutating func valid() -> Case {
        let template = random.pick(templates)
        // One in four stays open after its response, for the idle timeout to close.
        let closing = random.next() % 4 != 0
        return Case(bytes: template.bytes(closing: closing), expected: .statuses([template.status]), label: closing ? "valid" : "valid, kept alive")
    }

    private mutating func pipelined() -> Case {
        let chosen = (0..<random.int(2...4)).map { _ in random.pick(templates) }
        let bytes = chosen.enumerated().flatMap { index, template in template.bytes(closing: index == chosen.count - 1) }
        return Case(bytes: bytes, expected: .statuses(chosen.map(\.status)), label: "pipelined \(chosen.count)")
    }

    private mutating func truncated() -> Case {
        let template = random.pick(templates)
        let bytes = template.bytes(closing: true)
        let cut = random.int(1...bytes.count - 1)
        let inHead = cut < template.headLength(closing: true)
        if !inHead && !template.readsBody {
            return Case(bytes: Array(bytes[..<cut]), expected: .statuses([template.status]), label: "truncated unread body")
        }
        return Case(bytes: Array(bytes[..<cut]), expected: .timeout(inHead ? "head_timeout_s" : "body_timeout_s"),
                    label: inHead ? "truncated head" : "truncated body")
    }

    private mutating func mutated() -> Case {
        var bytes = random.pick(templates).bytes(closing: true)
        for _ in 0..<random.int(1...4) {
            let index = random.int(0...bytes.count - 1)
            switch random.next() % 3 {
            case 0: bytes[index] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes.insert(random.pick([0, 9, 10, 13, 32, 58, 0x7F, 0xFF, UInt8(truncatingIfNeeded: random.next())]), at: index)
            default: bytes.remove(at: index)
            }
        }
        return Case(bytes: bytes, expected: .anything, label: "mutated")
    }

    /// Heads over NIO's 80 KiB limit: one huge header, or a huge target.
    private mutating func oversize() -> Case {
        let size = random.int(81 * 1024...160 * 1024)
        let head = random.next() % 2 == 0
            ? "GET /health HTTP/1.1\r\n\(host)X-Fill: \(String(repeating: "a", count: size))\r\n\r\n"
            : "GET /\(String(repeating: "b", count: size)) HTTP/1.1\r\n\(host)\r\n"
        return Case(bytes: Array(head.utf8), expected: .refused(400), label: "oversize head")
    }

    private mutating func badChunked() -> Case {
        let payload = Array(#"{"orchestrator_agent_id":"x"}"#.utf8)
        let (body, label): ([UInt8], String) = random.pick([
            (Array("zz\r\n".utf8) + payload + Array("\r\n0\r\n\r\n".utf8), "chunk size not hex"),
            (Array("fffffffffffffffffffff\r\n".utf8) + payload, "chunk size overflow"),
            (Array("5\r\nhelloXX\r\n0\r\n\r\n".utf8), "chunk longer than its size"),
            (Array("-5\r\nhello\r\n0\r\n\r\n".utf8), "negative chunk size"),
        ])
        let head = "POST /load_chat HTTP/1.1\r\n\(host)Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        return Case(bytes: Array(head.utf8) + body, expected: .statuses([400]), label: label)
    }

    private static func chunked(_ body: [UInt8], sizes: [Int]) -> [UInt8] {
        var out: [UInt8] = [], rest = body[...]
        for size in sizes + [rest.count] where !rest.isEmpty {
            let chunk = rest.prefix(size)
            rest = rest.dropFirst(chunk.count)
            out += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
        }
        return out + Array("0\r\n\r\n".utf8)
    }
}
