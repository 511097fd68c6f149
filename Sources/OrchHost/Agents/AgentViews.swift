import Foundation
import PluginAPI
import StoreModel

/// What the tools and the API show of an agent: the saved record plus what only the host
/// knows live (the running command, the queue, the estimated spend of the running command).
extension AgentManager {
    public func summary(_ record: AgentRecord) -> JSONValue {
        let (live, position) = state.withLock { ($0.agents[record.id], $0.slotQueue.firstIndex(of: record.id).map { $0 + 1 }) }
        var fields: [String: JSONValue] = [
            "id": .string(record.id), "name": .string(record.name), "model": .string(record.model), "status": .string(record.status.rawValue),
            "reason": record.statusReason.map(JSONValue.string) ?? .null, "session_id": record.sessionID.map(JSONValue.string) ?? .null,
            "input_tokens": .int(record.inputTokens), "output_tokens": .int(record.outputTokens), "total_cost": .double(record.totalCost),
            "budget_usd": record.metadata["budget_usd"] ?? .null, "created_at": .string(record.createdAt),
        ]
        if let live {
            // The session it uses now, also before its first command has saved it.
            fields["session_id"] = .string(live.session)
            fields["running_command"] = live.running.map { ["turn_id": .string($0.turnID), "command": .string(TurnEngine.preview($0.text, limit: 200))] } ?? .null
            fields["waiting_commands"] = .int(Int64(live.waiting.count))
            fields["queue_position"] = position.map { .int(Int64($0)) } ?? .null
            fields["running_cost_estimate"] = live.running == nil ? .null : .double(live.estimate)
            fields["last_result"] = live.lastResult.map { .string(TurnEngine.preview($0, limit: 400)) } ?? .null
            fields["commands_done"] = .int(Int64(live.commandsDone))
            fields["last_command"] = live.lastCommand.map { .string(TurnEngine.preview($0, limit: 200)) } ?? .null
            fields["context_tokens"] = live.contextTokens.map(JSONValue.int) ?? .null
        }
        return .object(fields)
    }

    /// What people's views show of an agent (`list_agents`, `get_agent` over the API): the summary plus its
    /// whole log counted by kind, so a console that loads only the newest page still shows the agent's record.
    public func card(_ record: AgentRecord) async throws(PluginError) -> JSONValue {
        let counts: AgentLogCounts
        do { counts = try await store.agentLogCounts(agentID: record.id) } catch { throw Self.storeError(error) }
        guard case .object(var fields) = summary(record) else { return summary(record) }
        fields["counts"] = [
            "responses": .int(counts.count(ofType: "text")), "tools": .int(counts.count(ofType: "tool_use")),
            "hooks": .int(counts.count(ofCategory: AgentLogCategory.hook.rawValue)), "thinking": .int(counts.count(ofType: "thinking")),
        ]
        fields["last_seq"] = .int(counts.lastSeq)
        return .object(fields)
    }

    /// `check_agent_status`: the summary and the log after `sinceSeq`, or its last `tail` entries.
    func status(_ nameOrID: String, sinceSeq: Int?, tail: Int, verbose: Bool) async throws(PluginError) -> JSONValue {
        let live = try resolve(nameOrID)
        let logs: [AgentLogRecord]
        do {
            if let sinceSeq {
                logs = try await store.agentLogs(agentID: live.record.id, sinceSeq: Int64(sinceSeq), limit: tail).logs
            } else {
                // The page past the end says where the log ends; then its last `tail` rows.
                let last = try await store.agentLogs(agentID: live.record.id, sinceSeq: Int64.max - 1, limit: 1).lastSeq
                logs = try await store.agentLogs(agentID: live.record.id, sinceSeq: max(0, last - Int64(tail)), limit: tail).logs
            }
        } catch {
            throw Self.storeError(error)
        }
        var view = summary(live.record)
        if case .object(var fields) = view {
            fields["log"] = .array(logs.map { log in
                var entry: [String: JSONValue] = [
                    "seq": .int(log.seq), "type": .string(log.eventType), "category": .string(log.eventCategory),
                    "content": log.content.map { .string(verbose ? $0 : TurnEngine.preview($0, limit: 200)) } ?? .null,
                ]
                if verbose { entry["payload"] = log.payload }
                return .object(entry)
            })
            view = .object(fields)
        }
        return view
    }

    /// `wait_agents`: waits, then says how each agent stands.
    func waitFor(_ names: [String], all: Bool, timeout: Duration) async throws(PluginError) -> JSONValue {
        var ids: Set<String> = []
        for name in names { ids.insert(try resolve(name).record.id) }
        let finished = await wait(ids: ids, all: all, timeout: timeout)
        let records = list().filter { ids.contains($0.id) }
        return ["finished": .bool(finished), "timed_out": .bool(!finished),
                "agents": .array(records.map { summary($0) })]
    }
}
