import PluginAPI

/// The errors stores report, named once so both stores word them alike
/// (codes are listed in docs/protocol.md, "Store operations").
public enum StoreError {
    public static func unknownOrchestrator(_ id: String) -> PluginError {
        .notFound("unknown_orchestrator", "no orchestrator has id \(id); get the current one with get_or_create_orchestrator")
    }

    public static func unknownSession(_ sessionID: String) -> PluginError {
        .notFound("unknown_session", "no active (non-archived) orchestrator has session_id \"\(sessionID)\"; start without a session to get a fresh one")
    }

    public static func unknownMessage(_ id: String, orchestratorID: String) -> PluginError {
        .notFound("unknown_message", "\"before\" names message \(id), which is not a chat message of orchestrator \(orchestratorID); pass an id from an earlier chat_history reply")
    }

    public static func unknownMessageToMove(_ id: String, orchestratorID: String) -> PluginError {
        .notFound("unknown_message", "move_chat_to_end names message \(id), which is not a chat message of orchestrator \(orchestratorID); pass the id insert_chat returned")
    }

    public static func unknownAgent(_ id: String) -> PluginError {
        .notFound("unknown_agent", "no agent has id \(id); create it with insert_agent first")
    }

    public static func unknownPermission(_ id: String) -> PluginError {
        .notFound("unknown_permission", "no permission request has id \(id); list the pending ones with permission_requests {status: \"pending\"}")
    }

    /// Someone (or something) decided it first: the answer names how, so the loser can tell the person.
    public static func permissionDecided(_ request: PermissionRecord) -> PluginError {
        .init(.conflict, code: "permission_decided",
              "permission request \(request.id) was already \(request.status.rawValue) by \(request.decidedBy?.rawValue ?? "someone") at \(request.decidedAt ?? "an earlier time"); nothing was changed")
    }

    public static func duplicateID(_ id: String) -> PluginError {
        .init(.conflict, code: "duplicate_id", "a chat message with id \(id) already exists; omit \"id\" to let the store choose one")
    }

    public static func duplicateAgentName(_ name: String, orchestratorID: String) -> PluginError {
        .init(.conflict, code: "duplicate_agent_name", "orchestrator \(orchestratorID) already has an agent named \"\(name)\"; choose another name")
    }

    public static func sessionInUse(_ sessionID: String) -> PluginError {
        .init(.conflict, code: "session_in_use", "session_id \"\(sessionID)\" already belongs to another orchestrator; a Claude session continues one orchestrator only")
    }

    public static func costOverflow(_ orchestratorID: String) -> PluginError {
        .invalid("invalid_usage", "adding this cost would overflow orchestrator \(orchestratorID)'s total_cost; costs are per turn, in US dollars")
    }

    public static func agentCostOverflow(_ agentID: String) -> PluginError {
        .invalid("invalid_usage", "adding this cost would overflow agent \(agentID)'s total_cost; costs are per turn, in US dollars")
    }

    /// The database cannot be reached or dropped the connection: the caller may retry.
    public static func unavailable(_ store: String, _ reason: String) -> PluginError {
        .unavailable("store_unavailable", "\(store): the database is unavailable (\(reason)); the operation was not done, retry once the database is back")
    }

    public static func timedOut(_ store: String, milliseconds: Int) -> PluginError {
        .init(.timeout, code: "statement_timeout", "\(store): the statement ran longer than statement_timeout_ms (\(milliseconds) ms) and was cancelled; retry, or raise statement_timeout_ms")
    }

    /// The database was written by a newer plugin: refuse rather than misread it.
    public static func schemaTooNew(_ store: String, found: Int, supported: Int, where location: String) -> PluginError {
        .init(.conflict, code: "schema_too_new",
              "\(store): the database \(location) has schema version \(found), newer than this plugin understands (\(supported)); upgrade orch, or point the store at another database")
    }

    /// A diagnostics op sent to `orch.store/1`'s request: name the interface that answers it.
    public static func diagnosticOpSentToStore(_ op: String, store: String) -> PluginError {
        .unsupported("\(store): \"\(op)\" is a diagnostics operation; send it through the \(ORCH_IID_STORE_DIAGNOSTICS_V1) interface (ORCH_IID_STORE_DIAGNOSTICS_V1), not \(ORCH_IID_STORE_V1)")
    }

    /// An `orch.store/1` op sent to the diagnostics interface's request.
    public static func storeOpSentToDiagnostics(_ op: String, store: String) -> PluginError {
        .unsupported("\(store): \"\(op)\" is an \(ORCH_IID_STORE_V1) operation; send it through that interface's request, not \(ORCH_IID_STORE_DIAGNOSTICS_V1)")
    }
}
