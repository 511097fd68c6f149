import Foundation
import PluginAPI

/// Sends one store operation and reads its reply: the one request path of
/// `StoreAPI` and `StoreDiagnostics`, each over its own interface's `send`.
struct StoreCaller: Sendable {
    let send: @Sendable (Data) async throws -> Data

    func call<Arguments: Encodable, Reply: Decodable>(_ op: StoreOp, _ arguments: Arguments) async throws -> Reply {
        try await call(op: op.rawValue, arguments)
    }

    func call<Arguments: Encodable, Reply: Decodable>(_ op: StoreDiagnosticOp, _ arguments: Arguments) async throws -> Reply {
        try await call(op: op.rawValue, arguments)
    }

    /// The reply as the store wrote it, for a caller that passes it on rather than reading it.
    func raw<Arguments: Encodable>(_ op: StoreOp, _ arguments: Arguments) async throws -> Data {
        try await send(try JSON.encode(Envelope(op: op.rawValue, arguments: arguments)))
    }

    private func call<Arguments: Encodable, Reply: Decodable>(op: String, _ arguments: Arguments) async throws -> Reply {
        let reply = try await send(try JSON.encode(Envelope(op: op, arguments: arguments)))
        do {
            // Replies that carry records take the fast reader.
            if let fast = Reply.self as? any JSONReadable.Type, let read = try JSONReader.read(reply, { try fast.init(reading: &$0) }) as? Reply {
                return read
            }
            return try JSON.decode(Reply.self, from: reply)
        } catch {
            throw PluginError.internal("the store's reply to \(op) does not match docs/protocol.md: \(error); reply: \(String(decoding: reply.prefix(300), as: UTF8.self))")
        }
    }

    /// The arguments' fields with `"op"` beside them, as one JSON object.
    private struct Envelope<Arguments: Encodable>: Encodable {
        let op: String
        let arguments: Arguments

        private struct OpKey: CodingKey {
            var stringValue: String { "op" }
            var intValue: Int? { nil }
            init() {}
            init?(stringValue: String) {}
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            try arguments.encode(to: encoder)
            var container = encoder.container(keyedBy: OpKey.self)
            try container.encode(op, forKey: OpKey())
        }
    }
}
