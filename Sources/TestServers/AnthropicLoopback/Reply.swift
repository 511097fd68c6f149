import Foundation

/// One scripted answer to a `POST /v1/messages`: content blocks streamed (or
/// returned as one JSON message when the client asks for `stream: false`), or a
/// failure. Build them with the static helpers.
public struct Reply: Sendable {
    public enum Block: Sendable {
        case text(String)
        case thinking(String)
        /// `inputJSON` is the tool input as JSON object text, e.g. `{"a":2,"b":3}`.
        case toolUse(id: String, name: String, inputJSON: String)
    }

    public enum Failure: Sendable {
        /// An HTTP error with the API's error body; `retryAfter` (seconds) is sent as `retry-after`.
        case http(status: Int, type: String, message: String, retryAfter: Int?)
        /// A 200 stream that sends the first `afterDeltas` text deltas, then `event: error`.
        case midstream(afterDeltas: Int, type: String, message: String)
    }

    public struct Usage: Sendable, Equatable {
        public var input: Int
        public var output: Int
        public var cacheCreation: Int
        public var cacheRead: Int
        public init(input: Int, output: Int, cacheCreation: Int = 0, cacheRead: Int = 0) {
            self.input = input
            self.output = output
            self.cacheCreation = cacheCreation
            self.cacheRead = cacheRead
        }
    }

    public var blocks: [Block]
    public var failure: Failure?
    /// `nil`: 12 input tokens and one output token per streamed piece.
    public var usage: Usage?
    /// The pause before each streamed delta (slow streams).
    public var delay: Duration
    /// Text deltas are words " t<n>" whose emission instants the loopback records (benchmarks).
    public var stampedWords: Int

    public init(blocks: [Block], failure: Failure? = nil, usage: Usage? = nil, delay: Duration = .zero, stampedWords: Int = 0) {
        self.blocks = blocks
        self.failure = failure
        self.usage = usage
        self.delay = delay
        self.stampedWords = stampedWords
    }

    public static func text(_ text: String, delay: Duration = .zero, usage: Usage? = nil) -> Reply {
        Reply(blocks: [.text(text)], usage: usage, delay: delay)
    }

    /// A tool call, optionally preceded by a text block, as the model sends it.
    public static func toolUse(_ name: String, input: String, id: String = "toolu_\(UUID().uuidString.prefix(8).lowercased())",
                               saying preamble: String? = nil) -> Reply {
        Reply(blocks: (preamble.map { [Block.text($0)] } ?? []) + [.toolUse(id: id, name: name, inputJSON: input)])
    }

    public static func thinking(_ thinking: String, then text: String) -> Reply {
        Reply(blocks: [.thinking(thinking), .text(text)])
    }

    /// `count` words "w0 w1 …", one every `every`.
    public static func slow(words count: Int, every: Duration) -> Reply {
        Reply(blocks: [.text((0..<count).map { "w\($0)" }.joined(separator: " "))], delay: every)
    }

    /// `count` stamped words, one every `every`; see `AnthropicLoopback.emissions`.
    public static func stamped(words count: Int, every: Duration) -> Reply {
        Reply(blocks: [], delay: every, stampedWords: count)
    }

    /// The API's error for an HTTP status, with its documented `error.type`.
    public static func error(_ status: Int, message: String? = nil, retryAfter: Int? = nil) -> Reply {
        let type = switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 529: "overloaded_error"
        default: "api_error"
        }
        return Reply(blocks: [], failure: .http(status: status, type: type, message: message ?? "Loopback simulated \(status)", retryAfter: retryAfter))
    }

    /// Streams `text` word by word, then fails the stream with `event: error`.
    public static func midstreamError(after text: String, type: String = "overloaded_error") -> Reply {
        let reply = Reply.text(text)
        return Reply(blocks: reply.blocks, failure: .midstream(afterDeltas: Reply.pieces(of: text).count, type: type, message: "Overloaded"))
    }

    /// How a text is cut into deltas: words, each but the first with its leading space.
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        for (index, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            pieces.append(index == 0 ? String(word) : " " + word)
        }
        return pieces.filter { !$0.isEmpty }
    }
}
