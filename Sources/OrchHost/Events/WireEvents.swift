import Foundation
import PluginAPI
import StoreModel

/// The wire messages the host publishes, in the original Orch contract
/// (docs/operations.md, "Wire messages"). `seq` is stamped by the bus.
public enum WireEvents {
    /// The hot path, one per token: rendered by hand, no encoder.
    public static func chatStream(orchestratorID: String, messageID: String, chunk: String, isComplete: Bool, withdrawn: Bool = false) -> Data {
        var json = #"{"type":"chat_stream","orchestrator_agent_id":""#
        json += orchestratorID
        json += #"","message_id":""#
        json += messageID
        json += #"","chunk":"#
        JSONString.appendQuoted(chunk, to: &json)
        json += isComplete ? #","is_complete":true"# : #","is_complete":false"#
        if withdrawn { json += #","withdrawn":true"# }
        json += "}"
        return Data(json.utf8)
    }

    public static func chat(_ message: ChatMessageRecord) -> Data {
        var fields = (try? JSONDecoder().decode(JSONValue.self, from: JSON.encode(message))) ?? .object([:])
        if case .object(var object) = fields {
            object["timestamp"] = .string(message.createdAt)
            fields = .object(object)
        }
        return WireMessage.make(type: "orchestrator_chat", ["message": fields])
    }

    public static func typing(orchestratorID: String, isTyping: Bool) -> Data {
        WireMessage.make(type: "chat_typing", [
            "orchestrator_agent_id": .string(orchestratorID), "is_typing": .bool(isTyping), "timestamp": .string(Timestamp.now()),
        ])
    }

    public static func orchestratorUpdated(_ orchestrator: OrchestratorRecord) -> Data {
        WireMessage.make(type: "orchestrator_updated", ["orchestrator": .object([
            "id": .string(orchestrator.id), "session_id": orchestrator.sessionID.map(JSONValue.string) ?? .null,
            "input_tokens": .int(orchestrator.inputTokens), "output_tokens": .int(orchestrator.outputTokens),
            "total_cost": .double(orchestrator.totalCost), "status": .string(orchestrator.status),
            "updated_at": .string(orchestrator.updatedAt),
        ])])
    }

    public static func error(orchestratorID: String, turnID: String?, _ error: PluginError) -> Data {
        WireMessage.make(type: "error", [
            "orchestrator_agent_id": .string(orchestratorID), "turn_id": turnID.map(JSONValue.string) ?? .null,
            "message": .string(error.message), "error_class": .string(error.code), "retryable": .bool(error.retryable),
            "timestamp": .string(Timestamp.now()),
        ])
    }
}

/// RFC 3339 UTC timestamps with microseconds, as the stores write them.
public enum Timestamp {
    public static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(time.tv_nsec / 1000))
    }
}
