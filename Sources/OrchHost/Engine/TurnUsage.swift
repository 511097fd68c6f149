import PluginAPI

/// What a backend's turn result says was spent (docs/protocol.md, "Backend turns"): the
/// session it ran in, its usage as reported, the input tokens counted with the cache's,
/// and the turn's own cost. The orchestrator's turns and the agents' commands read it alike.
struct TurnUsage {
    var session: String
    var usage: JSONValue
    var inputTokens: Int64
    var outputTokens: Int64
    var cost: Double

    init(_ result: JSONValue, fallbackSession: String) {
        session = result["session_id"]?.stringValue ?? fallbackSession
        usage = result["usage"] ?? .object([:])
        inputTokens = (usage["input_tokens"]?.intValue ?? 0) + (usage["cache_creation_input_tokens"]?.intValue ?? 0)
            + (usage["cache_read_input_tokens"]?.intValue ?? 0)
        outputTokens = usage["output_tokens"]?.intValue ?? 0
        cost = result["cost_usd"]?.doubleValue ?? 0
    }
}
