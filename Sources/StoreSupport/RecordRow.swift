import Foundation
import PluginAPI
import StoreModel

/// A result row of either database, read by column position. Both stores
/// select the record columns in the same order, so the records are built here once.
/// Accessors throw instead of trapping: a surprise in the database must become
/// an error reply, never a crash of the host.
public protocol RecordRow {
    func optional(_ column: Int) -> String?
    func int64(_ column: Int) throws(PluginError) -> Int64
    func bool(_ column: Int) throws(PluginError) -> Bool
    /// US dollars, from the database's exact representation.
    func cost(_ column: Int) throws(PluginError) -> Double
}

extension RecordRow {
    public func text(_ column: Int) throws(PluginError) -> String {
        guard let value = optional(column) else { throw .internal("column \(column) is unexpectedly NULL") }
        return value
    }

    public func json(_ column: Int) throws(PluginError) -> JSONValue {
        let value = try text(column)
        if value == "{}" { return .object([:]) } // most rows: skip the decoder
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(value.utf8)) } catch {
            throw .internal("column \(column) does not hold JSON: \(value.prefix(100))")
        }
    }

    public func party(_ column: Int) throws(PluginError) -> Party {
        let value = try text(column)
        guard let party = Party(rawValue: value) else { throw .internal("column \(column) holds an unknown party \"\(value.prefix(40))\"") }
        return party
    }

    /// Columns: id, session_id, system_prompt, status, working_dir, input_tokens,
    /// output_tokens, total_cost, archived, metadata, created_at, updated_at.
    public func orchestrator() throws(PluginError) -> OrchestratorRecord {
        OrchestratorRecord(
            id: try text(0), sessionID: optional(1), systemPrompt: optional(2), status: try text(3),
            workingDir: optional(4), inputTokens: try int64(5), outputTokens: try int64(6),
            totalCost: try cost(7), archived: try bool(8), metadata: try json(9),
            createdAt: try text(10), updatedAt: try text(11))
    }

    /// Columns: id, orchestrator_agent_id, sender_type, receiver_type, message,
    /// agent_id, metadata, created_at, updated_at.
    public func chatMessage() throws(PluginError) -> ChatMessageRecord {
        ChatMessageRecord(
            id: try text(0), orchestratorID: try text(1), sender: try party(2), receiver: try party(3),
            message: try text(4), agentID: optional(5), metadata: try json(6),
            createdAt: try text(7), updatedAt: try text(8))
    }

    public func agentStatus(_ column: Int) throws(PluginError) -> AgentStatus {
        let value = try text(column)
        guard let status = AgentStatus(rawValue: value) else {
            throw .internal("column \(column) holds an unknown agent status \"\(value.prefix(40))\"")
        }
        return status
    }

    /// Columns: id, orchestrator_agent_id, name, model, system_prompt, working_dir, status,
    /// session_id, input_tokens, output_tokens, total_cost, archived, metadata, created_at, updated_at, status_reason.
    public func agent() throws(PluginError) -> AgentRecord {
        AgentRecord(
            id: try text(0), orchestratorID: try text(1), name: try text(2), model: try text(3),
            systemPrompt: optional(4), workingDir: optional(5), status: try agentStatus(6), statusReason: optional(15),
            sessionID: optional(7), inputTokens: try int64(8), outputTokens: try int64(9), totalCost: try cost(10),
            archived: try bool(11), metadata: try json(12), createdAt: try text(13), updatedAt: try text(14))
    }

    /// Columns: id, agent_id, seq, turn_id, event_category, event_type, content, payload, session_id, timestamp.
    public func agentLog() throws(PluginError) -> AgentLogRecord {
        AgentLogRecord(
            id: try text(0), agentID: try text(1), seq: try int64(2), turnID: optional(3), eventCategory: try text(4),
            eventType: try text(5), content: optional(6), payload: try json(7), sessionID: optional(8), timestamp: try text(9))
    }

    /// Columns: id, orchestrator_agent_id, agent_id, session_id, tool_name, input, suggestions, status, decision,
    /// decided_by, created_at, expires_at, decided_at.
    public func permission() throws(PluginError) -> PermissionRecord {
        let status = try text(7)
        guard let known = PermissionStatus(rawValue: status) else { throw .internal("permission_requests.status holds \"\(status)\"") }
        let decider = try optional(9).map { text throws(PluginError) in
            guard let known = PermissionDecider(rawValue: text) else { throw .internal("permission_requests.decided_by holds \"\(text)\"") }
            return known
        }
        return PermissionRecord(
            id: try text(0), orchestratorID: try text(1), agentID: optional(2), sessionID: try text(3), toolName: try text(4),
            input: try json(5), suggestions: try json(6), status: known, decision: try json(8), decidedBy: decider,
            createdAt: try text(10), expiresAt: optional(11), decidedAt: optional(12))
    }

    /// Columns: id, level, message, metadata, file_path, timestamp.
    public func systemLog() throws(PluginError) -> SystemLogRecord {
        SystemLogRecord(id: try text(0), level: try text(1), message: try text(2), metadata: try json(3), filePath: optional(4),
                        timestamp: try text(5))
    }
}

extension Array where Element: RecordRow {
    public func chatMessages() throws(PluginError) -> [ChatMessageRecord] {
        var messages: [ChatMessageRecord] = []
        messages.reserveCapacity(count)
        for row in self { messages.append(try row.chatMessage()) }
        return messages
    }

    public func permissions() throws(PluginError) -> [PermissionRecord] {
        var requests: [PermissionRecord] = []
        requests.reserveCapacity(count)
        for row in self { requests.append(try row.permission()) }
        return requests
    }

    public func agents() throws(PluginError) -> [AgentRecord] {
        var agents: [AgentRecord] = []
        agents.reserveCapacity(count)
        for row in self { agents.append(try row.agent()) }
        return agents
    }

    /// A page of `read_system_logs` from the rows a store read with `limit + 1` (one more row says there is more).
    public func systemLogPage(limit: Int) throws(PluginError) -> (logs: [SystemLogRecord], hasMore: Bool) {
        var logs: [SystemLogRecord] = []
        logs.reserveCapacity(Swift.min(count, limit))
        for row in prefix(limit) { logs.append(try row.systemLog()) }
        return (logs, count > limit)
    }

    /// `agent_log_counts` from rows of (event_category, event_type, count).
    public func agentLogCounts(lastSeq: Int64) throws(PluginError) -> AgentLogCounts {
        var kinds: [AgentLogCounts.Kind] = []
        for row in self { kinds.append(.init(eventCategory: try row.text(0), eventType: try row.text(1), count: try row.int64(2))) }
        return AgentLogCounts(kinds: kinds, lastSeq: lastSeq)
    }

    /// A page of `agent_logs` from the rows a store read with `limit + 1` (one more row says there is more).
    ///
    /// Stores read the agent's `log_seq` first and then only the rows up to it: the row holding a seq is
    /// committed with the increment that handed it out, so every row up to `last_seq` is visible to the
    /// later read, and none past it is returned. The page is never ahead of `last_seq`, nor missing a row below it.
    public func agentLogPage(lastSeq: Int64, limit: Int) throws(PluginError) -> AgentLogPage {
        var logs: [AgentLogRecord] = []
        logs.reserveCapacity(Swift.min(count, limit))
        for row in prefix(limit) { logs.append(try row.agentLog()) }
        return AgentLogPage(logs: logs, hasMore: count > limit, lastSeq: lastSeq)
    }
}
