import Foundation

/// Turns a `Reply` into the Messages API wire format: a list of SSE frames
/// (with the pause before each) for a streaming request, or one JSON message.
struct ReplyRenderer {
    struct Frame {
        var delay: Duration
        var bytes: String
        /// Set on a stamped word: the loopback records when it was written.
        var stamp: Int?
    }

    let reply: Reply
    let model: String
    let messageID: String
    /// Issues the numbers of stamped words (unique across the loopback's life).
    let nextStamp: () -> Int

    private var stopReason: String {
        reply.blocks.contains { if case .toolUse = $0 { true } else { false } } ? "tool_use" : "end_turn"
    }

    private var streamedPieces: Int {
        reply.stampedWords + reply.blocks.reduce(0) { count, block in
            switch block {
            case .text(let text): count + Reply.pieces(of: text).count
            case .thinking(let text): count + Reply.pieces(of: text).count
            case .toolUse: count + 1
            }
        }
    }

    private var usage: Reply.Usage { reply.usage ?? Reply.Usage(input: 12, output: max(streamedPieces, 1)) }

    private func usageJSON(output: Int) -> [String: Any] {
        ["input_tokens": usage.input, "output_tokens": output,
         "cache_creation_input_tokens": usage.cacheCreation, "cache_read_input_tokens": usage.cacheRead]
    }

    // MARK: streaming

    func frames() -> [Frame] {
        var frames: [Frame] = []
        func event(_ type: String, _ data: [String: Any], delay: Duration = .zero, stamp: Int? = nil) {
            frames.append(Frame(delay: delay, bytes: "event: \(type)\ndata: \(Self.json(data))\n\n", stamp: stamp))
        }
        func delta(_ index: Int, _ delta: [String: Any], stamp: Int? = nil) {
            event("content_block_delta", ["type": "content_block_delta", "index": index, "delta": delta], delay: reply.delay, stamp: stamp)
        }
        event("message_start", ["type": "message_start", "message": [
            "id": messageID, "type": "message", "role": "assistant", "model": model, "content": [Any](),
            "stop_reason": NSNull(), "stop_sequence": NSNull(), "usage": usageJSON(output: 1),
        ] as [String: Any]])
        event("ping", ["type": "ping"])
        var textDeltasSent = 0
        var index = 0
        if reply.stampedWords > 0 {
            event("content_block_start", ["type": "content_block_start", "index": index, "content_block": ["type": "text", "text": ""]])
            for word in 0..<reply.stampedWords {
                let stamp = nextStamp()
                delta(index, ["type": "text_delta", "text": (word == 0 ? "t" : " t") + "\(stamp)"], stamp: stamp)
            }
            event("content_block_stop", ["type": "content_block_stop", "index": index])
            index += 1
        }
        for block in reply.blocks {
            switch block {
            case .text(let text):
                event("content_block_start", ["type": "content_block_start", "index": index, "content_block": ["type": "text", "text": ""]])
                for piece in Reply.pieces(of: text) {
                    delta(index, ["type": "text_delta", "text": piece])
                    textDeltasSent += 1
                    if case .midstream(let after, let type, let message) = reply.failure, textDeltasSent == after {
                        event("error", ["type": "error", "error": ["type": type, "message": message]])
                        return frames
                    }
                }
            case .thinking(let text):
                event("content_block_start", ["type": "content_block_start", "index": index,
                                              "content_block": ["type": "thinking", "thinking": "", "signature": ""]])
                for piece in Reply.pieces(of: text) { delta(index, ["type": "thinking_delta", "thinking": piece]) }
                delta(index, ["type": "signature_delta", "signature": "sig_loopback"])
            case .toolUse(let id, let name, let input):
                event("content_block_start", ["type": "content_block_start", "index": index,
                                              "content_block": ["type": "tool_use", "id": id, "name": name, "input": [String: Any]()]])
                let half = input.index(input.startIndex, offsetBy: input.count / 2)
                delta(index, ["type": "input_json_delta", "partial_json": String(input[..<half])])
                delta(index, ["type": "input_json_delta", "partial_json": String(input[half...])])
            }
            event("content_block_stop", ["type": "content_block_stop", "index": index])
            index += 1
        }
        event("message_delta", ["type": "message_delta", "delta": ["stop_reason": stopReason, "stop_sequence": NSNull()],
                                "usage": ["output_tokens": usage.output]])
        event("message_stop", ["type": "message_stop"])
        return frames
    }

    // MARK: one JSON message (`stream: false`)

    func message() -> String {
        var content: [[String: Any]] = []
        if reply.stampedWords > 0 {
            content.append(["type": "text", "text": (0..<reply.stampedWords).map { _ in "t\(nextStamp())" }.joined(separator: " ")])
        }
        for block in reply.blocks {
            switch block {
            case .text(let text): content.append(["type": "text", "text": text])
            case .thinking(let text): content.append(["type": "thinking", "thinking": text, "signature": "sig_loopback"])
            case .toolUse(let id, let name, let input):
                let parsed = (try? JSONSerialization.jsonObject(with: Data(input.utf8))) ?? [String: Any]()
                content.append(["type": "tool_use", "id": id, "name": name, "input": parsed])
            }
        }
        return Self.json([
            "id": messageID, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stopReason, "stop_sequence": NSNull(), "usage": usageJSON(output: usage.output),
        ])
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
