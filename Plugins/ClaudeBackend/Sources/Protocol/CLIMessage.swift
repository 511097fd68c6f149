import Foundation
import PluginAPI

/// One line of the CLI's stdout (`--output-format stream-json`), with the
/// fields Orch uses. Decoding is lenient field by field: a field of an
/// unexpected type reads as absent instead of failing the whole line, so a
/// newer CLI that changes one field cannot stall a turn. See
/// docs/claude-backend.md for which message carries what.
struct CLIMessage: Decodable {
    var type: String
    var subtype: String?
    var sessionID: String?
    /// Set on messages from inside a sub-agent (the Task tool).
    var parentToolUseID: String?

    // stream_event
    var event: StreamEvent?
    var apiMessageID: String?

    // assistant, user
    var message: ContentMessage?
    /// assistant: the class of a synthetic API error message; system/api_retry: the retried error.
    var error: String?
    var isAPIErrorMessage: Bool?
    var apiErrorStatus: Int?

    // system
    var model: String?
    var attempt: Int?
    var maxRetries: Int?
    var retryDelayMS: Int?
    var errorStatus: Int?

    // result
    var isError: Bool?
    var terminalReason: String?
    var result: String?
    var errors: [String]?
    var usage: Usage?
    var totalCostUSD: Double?
    var modelUsageSinceLastResult: [String: ModelUsage]?
    var modelUsage: [String: ModelUsage]?
    var durationMS: Int?
    var numTurns: Int?
    var stopReason: String?

    // control_request, control_response, control_cancel_request
    var requestID: String?
    var request: JSONValue?
    var response: ControlResponse?

    struct StreamEvent: Decodable {
        var type: String
        var index: Int?
        var delta: Delta?
        /// message_start: the API message's model and its first usage (input and cache tokens).
        var message: Start?
        /// message_delta: the usage so far (output tokens, cumulative).
        var usage: Usage?

        struct Delta: Decodable {
            var type: String?
            var text: String?
            var thinking: String?
        }

        struct Start: Decodable {
            var model: String?
            var usage: Usage?

            enum CodingKeys: String, CodingKey { case model, usage }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                model = container.lenient(.model)
                usage = container.lenient(.usage)
            }
        }

        enum CodingKeys: String, CodingKey { case type, index, delta, message, usage }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            index = container.lenient(.index)
            delta = container.lenient(.delta)
            message = container.lenient(.message)
            usage = container.lenient(.usage)
        }
    }

    struct ContentMessage: Decodable {
        var id: String?
        var model: String?
        var content: [ContentBlock]

        enum CodingKeys: String, CodingKey { case id, model, content }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = container.lenient(.id)
            model = container.lenient(.model)
            // A user message's content may be a plain string.
            if let text: String = container.lenient(.content) {
                content = [ContentBlock(type: "text", text: text)]
            } else {
                content = container.lenient(.content) ?? []
            }
        }
    }

    struct ContentBlock: Decodable {
        var type: String
        var text: String?
        var thinking: String?
        var id: String?
        var name: String?
        var input: JSONValue?
        var toolUseID: String?
        var content: JSONValue?
        var isError: Bool?

        enum CodingKeys: String, CodingKey {
            case type, text, thinking, id, name, input, content
            case toolUseID = "tool_use_id", isError = "is_error"
        }

        init(type: String, text: String) {
            self.type = type
            self.text = text
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = container.lenient(.type) ?? "unknown"
            text = container.lenient(.text)
            thinking = container.lenient(.thinking)
            id = container.lenient(.id)
            name = container.lenient(.name)
            input = container.lenient(.input)
            toolUseID = container.lenient(.toolUseID)
            content = container.lenient(.content)
            isError = container.lenient(.isError)
        }
    }

    struct Usage: Decodable {
        var inputTokens = 0
        var outputTokens = 0
        var cacheCreationInputTokens = 0
        var cacheReadInputTokens = 0

        /// A later report of the same API call: its non-zero counts win (message_delta's are cumulative).
        func updated(by later: Usage) -> Usage {
            var merged = self
            if later.inputTokens > 0 { merged.inputTokens = later.inputTokens }
            if later.outputTokens > 0 { merged.outputTokens = later.outputTokens }
            if later.cacheCreationInputTokens > 0 { merged.cacheCreationInputTokens = later.cacheCreationInputTokens }
            if later.cacheReadInputTokens > 0 { merged.cacheReadInputTokens = later.cacheReadInputTokens }
            return merged
        }

        var json: JSONValue {
            ["input_tokens": .int(Int64(inputTokens)), "output_tokens": .int(Int64(outputTokens)),
             "cache_creation_input_tokens": .int(Int64(cacheCreationInputTokens)), "cache_read_input_tokens": .int(Int64(cacheReadInputTokens))]
        }

        enum CodingKeys: String, CodingKey {
            case inputTokens = "input_tokens", outputTokens = "output_tokens"
            case cacheCreationInputTokens = "cache_creation_input_tokens", cacheReadInputTokens = "cache_read_input_tokens"
        }

        init() {}

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            inputTokens = container.lenient(.inputTokens) ?? 0
            outputTokens = container.lenient(.outputTokens) ?? 0
            cacheCreationInputTokens = container.lenient(.cacheCreationInputTokens) ?? 0
            cacheReadInputTokens = container.lenient(.cacheReadInputTokens) ?? 0
        }
    }

    struct ModelUsage: Decodable {
        var costUSD: Double?
    }

    struct ControlResponse: Decodable {
        var subtype: String?
        var requestID: String?
        var response: JSONValue?
        var error: String?

        enum CodingKeys: String, CodingKey { case subtype, response, error, requestID = "request_id" }
    }

    enum CodingKeys: String, CodingKey {
        case type, subtype, event, message, error, model, attempt, usage, result, errors, request, response
        case sessionID = "session_id", parentToolUseID = "parent_tool_use_id", apiMessageID = "api_message_id"
        case isAPIErrorMessage = "is_api_error_message", apiErrorStatus = "api_error_status"
        case maxRetries = "max_retries", retryDelayMS = "retry_delay_ms", errorStatus = "error_status"
        case isError = "is_error", terminalReason = "terminal_reason", totalCostUSD = "total_cost_usd"
        case modelUsageSinceLastResult = "model_usage_since_last_result", modelUsage
        case durationMS = "duration_ms", numTurns = "num_turns", stopReason = "stop_reason", requestID = "request_id"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        subtype = c.lenient(.subtype)
        sessionID = c.lenient(.sessionID)
        parentToolUseID = c.lenient(.parentToolUseID)
        event = c.lenient(.event)
        apiMessageID = c.lenient(.apiMessageID)
        message = c.lenient(.message)
        error = c.lenient(.error)
        isAPIErrorMessage = c.lenient(.isAPIErrorMessage)
        apiErrorStatus = c.lenient(.apiErrorStatus)
        model = c.lenient(.model)
        attempt = c.lenient(.attempt)
        maxRetries = c.lenient(.maxRetries)
        retryDelayMS = c.lenient(.retryDelayMS)
        errorStatus = c.lenient(.errorStatus)
        isError = c.lenient(.isError)
        terminalReason = c.lenient(.terminalReason)
        result = c.lenient(.result)
        errors = c.lenient(.errors)
        usage = c.lenient(.usage)
        totalCostUSD = c.lenient(.totalCostUSD)
        modelUsageSinceLastResult = c.lenient(.modelUsageSinceLastResult)
        modelUsage = c.lenient(.modelUsage)
        durationMS = c.lenient(.durationMS)
        numTurns = c.lenient(.numTurns)
        stopReason = c.lenient(.stopReason)
        requestID = c.lenient(.requestID)
        request = c.lenient(.request)
        response = c.lenient(.response)
    }
}

extension KeyedDecodingContainer {
    /// The value if present and of the expected type, else nil.
    func lenient<T: Decodable>(_ key: Key) -> T? {
        (try? decodeIfPresent(T.self, forKey: key)) ?? nil
    }
}
