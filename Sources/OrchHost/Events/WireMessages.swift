import Foundation
import PluginAPI
import StoreModel

/// Every server→client message type: the wire vocabulary (docs/protocol.md,
/// "Wire messages"; one JSON Schema each in docs/schemas/server-to-client).
/// A test holds this list, the schemas and `frontend/src/types.ts` equal.
public enum WireMessageType: String, CaseIterable, Sendable {
    // Host events: built below, published on the bus, stamped with `seq`, replayed on resume.
    case orchestratorChat = "orchestrator_chat"
    case chatStream = "chat_stream"
    case chatTyping = "chat_typing"
    case thinkingBlock = "thinking_block"
    case toolUseBlock = "tool_use_block"
    case toolResultBlock = "tool_result_block"
    case orchestratorUpdated = "orchestrator_updated"
    case turnQueued = "turn_queued"
    case turnComplete = "turn_complete"
    case backendRetry = "backend_retry"
    case agentCreated = "agent_created"
    case agentStatusChanged = "agent_status_changed"
    case agentLog = "agent_log"
    case agentUpdated = "agent_updated"
    case agentDeleted = "agent_deleted"
    case agentQueue = "agent_queue"
    case permissionRequest = "permission_request"
    case permissionResolved = "permission_resolved"
    /// Both a host event (a turn failed, with `seq`) and a transport's refusal of one request (without).
    case error
    // Replies a transport sends one client (no `seq`); each transport builds its own.
    case connectionEstablished = "connection_established"
    case ack
    case pong
    case chatHistory = "chat_history"
    case resumed
    case reloadRequired = "reload_required"

    /// Published by the host (as opposed to written by a transport for one client).
    public var isHostEvent: Bool {
        switch self {
        case .connectionEstablished, .ack, .pong, .chatHistory, .resumed, .reloadRequired: false
        default: true
        }
    }
}

/// The builders of the host's events, each message built once: either
/// rendered by hand (the per-token path) or encoded in one pass.
/// `seq` is stamped by the bus.
public enum WireMessages {
    /// The hot path, one per token: rendered by hand, no encoder. `blockComplete`: this
    /// reply block's stream is over (its row follows); `isComplete`: the turn's reply is
    /// over, sent once per turn after its last block, as the original contract means it.
    public static func chatStream(orchestratorID: String, messageID: String, chunk: String, isComplete: Bool,
                                  blockComplete: Bool = false, withdrawn: Bool = false) -> Data {
        var json = #"{"type":"chat_stream","orchestrator_agent_id":""#
        json += orchestratorID
        json += #"","message_id":""#
        json += messageID
        json += #"","chunk":"#
        JSONString.appendQuoted(chunk, to: &json)
        json += isComplete ? #","is_complete":true"# : #","is_complete":false"#
        if blockComplete { json += #","block_complete":true"# }
        if withdrawn { json += #","withdrawn":true"# }
        json += "}"
        return Data(json.utf8)
    }

    /// The record as the store returns it, plus the `timestamp` the original's clients read.
    public static func chat(_ message: ChatMessageRecord) -> Data {
        var record = (try? JSON.encode(message)) ?? Data("{}".utf8)
        var timestamp = ""
        JSONString.appendQuoted(message.createdAt, to: &timestamp)
        JSONSplice.appending(#""timestamp":\#(timestamp)"#, to: &record)
        var json = Data(#"{"message":"#.utf8)
        json.append(record)
        json.append(contentsOf: Array(#","type":"orchestrator_chat"}"#.utf8))
        return json
    }

    public static func typing(orchestratorID: String, isTyping: Bool) -> Data {
        make(.chatTyping, ["orchestrator_agent_id": .string(orchestratorID), "is_typing": .bool(isTyping), "timestamp": .string(Timestamp.now())])
    }

    /// `data` is also what the store keeps of the block (a system_logs row's metadata, with `type`), so
    /// `load_chat` gives it back as it was shown live; the caller builds it once.
    public static func thinkingBlock(_ data: JSONValue) -> Data {
        make(.thinkingBlock, ["data": data])
    }

    public static func thinkingData(orchestratorID: String, turnID: String, thinking: String) -> JSONValue {
        .object([
            "id": .string(UUIDv7.next()), "orchestrator_agent_id": .string(orchestratorID), "turn_id": .string(turnID),
            "thinking": .string(thinking), "timestamp": .string(Timestamp.now()),
        ])
    }

    public static func toolUseBlock(_ data: JSONValue) -> Data {
        make(.toolUseBlock, ["data": data])
    }

    public static func toolUseData(orchestratorID: String, turnID: String, name: String, tool: JSONValue) -> JSONValue {
        .object([
            "id": .string(UUIDv7.next()), "orchestrator_agent_id": .string(orchestratorID), "turn_id": .string(turnID),
            "tool_name": .string(name), "tool_input": tool["input"] ?? .object([:]), "tool_use_id": tool["id"] ?? .null,
            "timestamp": .string(Timestamp.now()),
        ])
    }

    public static func toolResultBlock(_ data: JSONValue) -> Data {
        make(.toolResultBlock, ["data": data])
    }

    public static func toolResultData(orchestratorID: String, turnID: String, result: JSONValue) -> JSONValue {
        .object([
            "orchestrator_agent_id": .string(orchestratorID), "turn_id": .string(turnID),
            "tool_use_id": result["tool_use_id"] ?? .null, "content": result["content"] ?? .null,
            "is_error": result["is_error"] ?? .bool(false), "timestamp": .string(Timestamp.now()),
        ])
    }

    public static func backendRetry(orchestratorID: String, turnID: String, detail: JSONValue) -> Data {
        make(.backendRetry, ["orchestrator_agent_id": .string(orchestratorID), "turn_id": .string(turnID), "detail": detail])
    }

    public static func orchestratorUpdated(_ orchestrator: OrchestratorRecord) -> Data {
        make(.orchestratorUpdated, ["orchestrator": .object([
            "id": .string(orchestrator.id), "session_id": orchestrator.sessionID.map(JSONValue.string) ?? .null,
            "input_tokens": .int(orchestrator.inputTokens), "output_tokens": .int(orchestrator.outputTokens),
            "total_cost": .double(orchestrator.totalCost), "status": .string(orchestrator.status),
            "updated_at": .string(orchestrator.updatedAt),
        ])])
    }

    public static func turnQueued(orchestratorID: String, turnID: String, position: Int) -> Data {
        make(.turnQueued, ["orchestrator_agent_id": .string(orchestratorID), "turn_id": .string(turnID), "position": .int(Int64(position))])
    }

    /// `status`: success, failed, interrupted or cancelled (docs/schemas/server-to-client/turn_complete.json).
    public static func turnComplete(orchestratorID: String, turnID: String, status: String) -> Data {
        make(.turnComplete, ["orchestrator_agent_id": .string(orchestratorID), "turn_id": .string(turnID), "status": .string(status)])
    }

    public static func error(orchestratorID: String, turnID: String?, _ error: PluginError) -> Data {
        make(.error, [
            "orchestrator_agent_id": .string(orchestratorID), "turn_id": turnID.map(JSONValue.string) ?? .null,
            "message": .string(error.message), "error_class": .string(error.code), "retryable": .bool(error.retryable),
            "timestamp": .string(Timestamp.now()),
        ])
    }

    /// An agent's row as the store returns it (docs/protocol.md, "Agent").
    public static func agentCreated(_ agent: AgentRecord) -> Data {
        wrapping(.agentCreated, record: "agent", agent, ["orchestrator_agent_id": .string(agent.orchestratorID)])
    }

    /// Sent after the new status is saved: a client never sees a state the store does not have.
    public static func agentStatusChanged(_ agent: AgentRecord, previous: AgentStatus, turnID: String?) -> Data {
        make(.agentStatusChanged, [
            "orchestrator_agent_id": .string(agent.orchestratorID), "agent_id": .string(agent.id), "name": .string(agent.name),
            "status": .string(agent.status.rawValue), "reason": agent.statusReason.map(JSONValue.string) ?? .null,
            "previous": .string(previous.rawValue), "turn_id": turnID.map(JSONValue.string) ?? .null, "timestamp": .string(agent.updatedAt),
        ])
    }

    /// One saved `agent_logs` row, with its per-agent `seq`.
    public static func agentLog(orchestratorID: String, _ log: AgentLogRecord) -> Data {
        wrapping(.agentLog, record: "log", log, ["orchestrator_agent_id": .string(orchestratorID), "agent_id": .string(log.agentID)])
    }

    /// Tokens and spend after a command's usage was saved; `budgetUsed` is the share of the
    /// agent's budget (0…1+), `warning` is `budget_80` the first time it passes 80 %.
    public static func agentUpdated(_ agent: AgentRecord, budgetUSD: Double?, contextTokens: Int64? = nil, warning: String?) -> Data {
        var fields: [String: JSONValue] = [
            "orchestrator_agent_id": .string(agent.orchestratorID),
            "agent": .object([
                "id": .string(agent.id), "name": .string(agent.name), "session_id": agent.sessionID.map(JSONValue.string) ?? .null,
                "input_tokens": .int(agent.inputTokens), "output_tokens": .int(agent.outputTokens),
                "total_cost": .double(agent.totalCost), "budget_usd": budgetUSD.map(JSONValue.double) ?? .null,
                "budget_used": budgetUSD.map { .double($0 > 0 ? agent.totalCost / $0 : 0) } ?? .null,
                "updated_at": .string(agent.updatedAt), "context_tokens": contextTokens.map(JSONValue.int) ?? .null,
            ]),
        ]
        if let warning { fields["warning"] = .string(warning) }
        return make(.agentUpdated, fields)
    }

    /// `permission_request` (pending) or `permission_resolved` (decided): the request's row, and the asking agent's name.
    public static func permission(_ type: WireMessageType, _ request: PermissionRecord, agentName: String?) -> Data {
        wrapping(type, record: "request", request, [
            "orchestrator_agent_id": .string(request.orchestratorID), "agent_name": agentName.map(JSONValue.string) ?? .null,
        ])
    }

    public static func agentDeleted(_ agent: AgentRecord) -> Data {
        make(.agentDeleted, [
            "orchestrator_agent_id": .string(agent.orchestratorID), "agent_id": .string(agent.id), "name": .string(agent.name),
            "timestamp": .string(agent.updatedAt),
        ])
    }

    /// Commands waiting for a run slot, in the order they will run (position 1 runs next).
    public static func agentQueue(orchestratorID: String, waiting: [(agentID: String, name: String, turnID: String)], running: Int, maxRunning: Int) -> Data {
        make(.agentQueue, [
            "orchestrator_agent_id": .string(orchestratorID), "running": .int(Int64(running)), "max_running": .int(Int64(maxRunning)),
            "queue": .array(waiting.enumerated().map { index, entry in
                .object(["agent_id": .string(entry.agentID), "name": .string(entry.name), "turn_id": .string(entry.turnID),
                         "position": .int(Int64(index + 1))])
            }),
        ])
    }

    /// A message holding a store record as the store encodes it, beside fields the host owns:
    /// the record is encoded once, never decoded and encoded again.
    static func wrapping<Record: Encodable>(_ type: WireMessageType, record key: String, _ record: Record, _ fields: [String: JSONValue]) -> Data {
        var object = fields
        object[key] = .null
        var json = make(type, object)
        guard let encoded = try? JSON.encode(record), let placeholder = "\"\(key)\":null".data(using: .utf8),
              let range = json.range(of: placeholder) else { return json }
        json.replaceSubrange(range, with: Data("\"\(key)\":".utf8) + encoded)
        return json
    }

    /// A message of a known type; keys are sorted for stable output.
    public static func make(_ type: WireMessageType, _ fields: [String: JSONValue]) -> Data {
        var object = fields
        object["type"] = .string(type.rawValue)
        return (try? JSON.encode(object)) ?? Data("{\"type\":\"\(type.rawValue)\"}".utf8)
    }
}
