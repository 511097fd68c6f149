import Foundation
import PluginAPI

/// A turn's accounting as the host receives it (docs/protocol.md, "Backend turns").
enum TurnSummary {
    static func json(_ result: CLIMessage, sessionID: String, cost: Double, duration: Duration, model: String?) -> JSONValue {
        let usage = result.usage ?? CLIMessage.Usage()
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return [
            "session_id": .string(result.sessionID ?? sessionID),
            "usage": [
                "input_tokens": .int(Int64(usage.inputTokens)),
                "output_tokens": .int(Int64(usage.outputTokens)),
                "cache_creation_input_tokens": .int(Int64(usage.cacheCreationInputTokens)),
                "cache_read_input_tokens": .int(Int64(usage.cacheReadInputTokens)),
            ],
            "cost_usd": .double(cost),
            "duration_ms": .int(milliseconds),
            "model": model.map { .string($0) } ?? .null,
            "num_turns": result.numTurns.map { .int(Int64($0)) } ?? .null,
            "stop_reason": result.stopReason.map { .string($0) } ?? .null,
            "text": result.result.map { .string($0) } ?? .null,
        ]
    }
}
