import PluginAPI
import StoreModel
import StoreSupport

/// Every statement SQLiteStore runs. All values are bound as parameters (?);
/// nothing from a request is ever formatted into SQL text.
enum SQLiteQueries {
    /// Read by `RecordRow.orchestrator()`, in this order.
    static let orchestratorColumns = """
        id, session_id, system_prompt, status, working_dir, input_tokens, output_tokens, total_cost_pico, \
        archived, metadata, created_at, updated_at
        """
    /// Read by `RecordRow.chatMessage()`, in this order.
    static let chatColumns = """
        id, orchestrator_agent_id, sender_type, receiver_type, message, agent_id, metadata, created_at, updated_at
        """
    /// Read by `RecordRow.agent()`, in this order.
    static let agentColumns = """
        id, orchestrator_agent_id, name, model, system_prompt, working_dir, status, session_id, \
        input_tokens, output_tokens, total_cost_pico, archived, metadata, created_at, updated_at, status_reason
        """
    /// Read by `RecordRow.agentLog()`, in this order.
    static let agentLogColumns = """
        l.id, l.agent_id, l.seq, l.turn_id, l.event_category, l.event_type, l.content, l.payload, l.session_id, l.timestamp
        """

    static let ping = "SELECT 1"
    /// Frames the writer's batches (`GroupCommitter`); IMMEDIATE takes the write lock at once, so a batch never fails halfway on it.
    static let batch = BatchSQL(begin: "BEGIN IMMEDIATE")

    static let orchestratorByID = "SELECT \(orchestratorColumns) FROM orchestrator_agents WHERE id = ?"
    static let orchestratorBySession = "SELECT \(orchestratorColumns) FROM orchestrator_agents WHERE session_id = ? AND archived = 0"
    static let newestActiveOrchestrator = """
        SELECT \(orchestratorColumns) FROM orchestrator_agents WHERE archived = 0 ORDER BY created_at DESC LIMIT 1
        """
    static let insertOrchestrator = """
        INSERT INTO orchestrator_agents (id, system_prompt, working_dir, metadata, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING \(orchestratorColumns)
        """
    static let updateSession = """
        UPDATE orchestrator_agents SET session_id = ?2, updated_at = ?3 WHERE id = ?1 RETURNING \(orchestratorColumns)
        """
    static let setStatus = """
        UPDATE orchestrator_agents
        SET status = ?2,
            metadata = CASE WHEN ?4 IS NULL THEN json_remove(metadata, '$.status_detail')
                            ELSE json_set(metadata, '$.status_detail', json(?4)) END,
            updated_at = ?3
        WHERE id = ?1 RETURNING \(orchestratorColumns)
        """
    /// Atomic because the store has one writer connection and this is one statement.
    static let addUsage = """
        UPDATE orchestrator_agents
        SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3, total_cost_pico = total_cost_pico + ?4,
            updated_at = ?5
        WHERE id = ?1 RETURNING \(orchestratorColumns)
        """
    static let deleteOrchestrator = "DELETE FROM orchestrator_agents WHERE id = ?"
    static let orchestratorExists = "SELECT 1 FROM orchestrator_agents WHERE id = ?"
    static let agentExists = "SELECT 1 FROM agents WHERE id = ?"

    static let insertChat = """
        INSERT INTO orchestrator_chat (id, orchestrator_agent_id, sender_type, receiver_type, message, agent_id, metadata, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING \(chatColumns)
        """
    /// The newest rows below a cursor, newest first: a backward range scan of idx_orchestrator_chat_orch_seq.
    static let history = """
        SELECT \(chatColumns) FROM orchestrator_chat
        WHERE orchestrator_agent_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3
        """
    static let cursorSeq = "SELECT seq FROM orchestrator_chat WHERE id = ? AND orchestrator_agent_id = ?"
    /// A new `seq` past every row's (seq is the rowid, unique across orchestrators), unless the row is its orchestrator's last already.
    static let moveChatToEnd = """
        UPDATE orchestrator_chat SET seq = (SELECT max(seq) FROM orchestrator_chat) + 1
        WHERE id = ?1 AND orchestrator_agent_id = ?2
          AND seq < (SELECT max(seq) FROM orchestrator_chat WHERE orchestrator_agent_id = ?2)
        """
    /// Kept by triggers (schema_v2): one lookup, however long the history.
    static let turnCount = "SELECT chat_count FROM orchestrator_chat_counts WHERE orchestrator_agent_id = ?"
    static let bulkInsertChat = """
        INSERT INTO orchestrator_chat (id, orchestrator_agent_id, sender_type, receiver_type, message, metadata, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, '{}', ?6, ?6)
        """

    static let insertAgent = """
        INSERT INTO agents (id, orchestrator_agent_id, name, model, system_prompt, working_dir, metadata, status, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) RETURNING \(agentColumns)
        """
    static let agentByID = "SELECT \(agentColumns) FROM agents WHERE id = ?"
    /// Creation order; ?2 = 1 includes the archived agents.
    static let agentsOfOrchestrator = """
        SELECT \(agentColumns) FROM agents WHERE orchestrator_agent_id = ?1 AND (?2 OR archived = 0) ORDER BY created_at, id
        """
    /// Archiving is for good: a later status leaves `archived` set (the name may have been reused since).
    static let setAgentStatus = """
        UPDATE agents SET status = ?2, status_reason = ?3, archived = (archived OR ?2 = 'archived'), updated_at = ?4
        WHERE id = ?1 RETURNING \(agentColumns)
        """
    static let updateAgentSession = "UPDATE agents SET session_id = ?2, updated_at = ?3 WHERE id = ?1 RETURNING \(agentColumns)"
    /// Atomic because the store has one writer connection and this is one statement.
    static let addAgentUsage = """
        UPDATE agents
        SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3, total_cost_pico = total_cost_pico + ?4,
            updated_at = ?5
        WHERE id = ?1 RETURNING \(agentColumns)
        """
    /// The agent's next log seq; no row for an unknown agent. Runs with the insert in one savepoint (see insertAgentLog).
    static let nextLogSeq = "UPDATE agents SET log_seq = log_seq + 1 WHERE id = ? RETURNING log_seq"
    static let insertAgentLog = """
        INSERT INTO agent_logs (id, agent_id, seq, turn_id, event_category, event_type, content, payload, session_id, task_slug,
                                entry_index, timestamp)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// Read before the page; no row means no such agent.
    static let agentLogSeq = "SELECT log_seq FROM agents WHERE id = ?"
    /// Rows up to the `log_seq` read before (?3), so the page never runs past `last_seq`:
    /// a range scan of idx_agent_logs_agent_seq, already in seq order.
    static let agentLogs = """
        SELECT \(agentLogColumns) FROM agent_logs AS l
        WHERE l.agent_id = ?1 AND l.seq > ?2 AND l.seq <= ?3 ORDER BY l.seq LIMIT ?4
        """
    /// Rows up to the `log_seq` read before (?2), counted by kind (an index range scan of idx_agent_logs_agent_seq).
    static let agentLogCounts = """
        SELECT event_category, event_type, count(*) FROM agent_logs WHERE agent_id = ?1 AND seq <= ?2
        GROUP BY event_category, event_type ORDER BY event_category, event_type
        """
    /// Read by `RecordRow.permission()`, in this order.
    static let permissionColumns = """
        id, orchestrator_agent_id, agent_id, session_id, tool_name, input, suggestions, status, decision, decided_by, \
        created_at, expires_at, decided_at
        """
    static let insertPermission = """
        INSERT INTO permission_requests (id, orchestrator_agent_id, agent_id, session_id, tool_name, input, suggestions, status,
                                         decision, decided_by, created_at, expires_at, decided_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, CASE WHEN ?8 = 'pending' THEN NULL ELSE ?11 END)
        RETURNING \(permissionColumns)
        """
    /// Only a pending request changes: of two decisions, the second finds none and is told who won.
    static let decidePermission = """
        UPDATE permission_requests SET status = ?2, decided_by = ?3, decision = ?4, decided_at = ?5
        WHERE id = ?1 AND status = 'pending' RETURNING \(permissionColumns)
        """
    static let permissionByID = "SELECT \(permissionColumns) FROM permission_requests WHERE id = ?"
    static let permissionRequests = """
        SELECT \(permissionColumns) FROM permission_requests
        WHERE orchestrator_agent_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR agent_id = ?3) AND (?4 IS NULL OR id < ?4)
        ORDER BY id DESC LIMIT ?5
        """
    static let expirePermissions = """
        UPDATE permission_requests SET status = 'expired', decided_by = 'host', decision = ?2, decided_at = ?3
        WHERE orchestrator_agent_id = ?1 AND status = 'pending' RETURNING \(permissionColumns)
        """
    static let insertSystemLog = """
        INSERT INTO system_logs (id, level, message, metadata, file_path, timestamp) VALUES (?, ?, ?, ?, ?, ?)
        """
    /// Read by `RecordRow.systemLog()`, in this order.
    static let systemLogColumns = "id, level, message, metadata, file_path, timestamp"
    /// The filters every read of system logs applies, each skipped when its parameter is NULL:
    /// ?1 a LIKE pattern escaped with \ (LIKE ignores ASCII case), ?2 a level, ?3 an orchestrator id.
    private static let systemLogFilters = """
        (?1 IS NULL OR message LIKE ?1 ESCAPE '\\') AND (?2 IS NULL OR level = ?2)
          AND (?3 IS NULL OR json_extract(metadata, '$.orchestrator_agent_id') = ?3)
        """
    /// ?4 limit, ?5 offset.
    private static let systemLogOrder = "ORDER BY timestamp DESC, id DESC LIMIT ?4 OFFSET ?5"
    static let readSystemLogs = "SELECT \(systemLogColumns) FROM system_logs WHERE \(systemLogFilters) \(systemLogOrder)"
    /// With ?6, a JSON array of turn ids: the expression and IS NOT NULL of idx_system_logs_turn (schema_v4), so
    /// each id is a lookup in that index however large the table; only the matching rows are sorted.
    static let readSystemLogsOfTurns = """
        SELECT \(systemLogColumns) FROM system_logs
        WHERE json_extract(metadata, '$.turn_id') IN (SELECT value FROM json_each(?6))
          AND json_extract(metadata, '$.turn_id') IS NOT NULL AND \(systemLogFilters) \(systemLogOrder)
        """
    /// Takes a JSON array of ids, so one prepared statement serves any number of them.
    static let deleteSystemLogs = "DELETE FROM system_logs WHERE id IN (SELECT value FROM json_each(?))"

    /// Table names are constants of StoreRules, never request data.
    static let rowCounts = "SELECT " + StoreRules.tables.map { "(SELECT count(*) FROM \($0))" }.joined(separator: ", ")
}
