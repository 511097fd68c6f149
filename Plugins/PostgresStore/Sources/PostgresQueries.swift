import PluginAPI
import StoreModel
import StoreSupport

/// Every statement PostgresStore runs. All values travel as parameters ($n);
/// nothing from a request is ever formatted into SQL text.
enum PostgresQueries {
    /// RFC 3339 UTC with microseconds, as docs/protocol.md specifies timestamps.
    private static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    /// Read by `RecordRow.orchestrator()`, in this order.
    static let orchestratorColumns = """
        id::text, session_id, system_prompt, status, working_dir, input_tokens, output_tokens, total_cost::text, \
        archived, metadata::text, \(timestamp("created_at")), \(timestamp("updated_at"))
        """
    /// Read by `RecordRow.chatMessage()`, in this order.
    static let chatColumns = """
        id::text, orchestrator_agent_id::text, sender_type, receiver_type, message, agent_id::text, metadata::text, \
        \(timestamp("created_at")), \(timestamp("updated_at"))
        """
    /// Read by `RecordRow.agent()`, in this order.
    static let agentColumns = """
        id::text, orchestrator_agent_id::text, name, model, system_prompt, working_dir, status, session_id, \
        input_tokens, output_tokens, total_cost::text, archived, metadata::text, \(timestamp("created_at")), \(timestamp("updated_at")), \
        status_reason
        """
    /// Read by `RecordRow.agentLog()`, in this order.
    static let agentLogColumns = """
        l.id::text, l.agent_id::text, l.seq, l.turn_id, l.event_category, l.event_type, l.content, l.payload::text, l.session_id, \
        \(timestamp("l.timestamp"))
        """

    static let ping = PGStatement(name: "ping", sql: "SELECT 1")
    /// Frames the writer's batches (`GroupCommitter`).
    static let batch = BatchSQL(begin: "BEGIN")

    static let orchestratorByID = PGStatement(name: "orchestrator_by_id", sql: """
        SELECT \(orchestratorColumns) FROM orchestrator_agents WHERE id = $1
        """)
    static let orchestratorBySession = PGStatement(name: "orchestrator_by_session", sql: """
        SELECT \(orchestratorColumns) FROM orchestrator_agents WHERE session_id = $1 AND NOT archived
        """)
    static let newestActiveOrchestrator = PGStatement(name: "newest_active_orchestrator", sql: """
        SELECT \(orchestratorColumns) FROM orchestrator_agents WHERE NOT archived ORDER BY created_at DESC LIMIT 1
        """)
    /// Serializes get-or-create across connections and hosts, for the length of a transaction.
    static let lockSingleton = PGStatement(name: "lock_singleton", sql: "SELECT pg_advisory_xact_lock(7201001)")
    static let insertOrchestrator = PGStatement(name: "insert_orchestrator", sql: """
        INSERT INTO orchestrator_agents (id, system_prompt, working_dir, metadata) VALUES ($1, $2, $3, $4::jsonb)
        RETURNING \(orchestratorColumns)
        """)
    static let updateSession = PGStatement(name: "update_session", sql: """
        UPDATE orchestrator_agents SET session_id = $2 WHERE id = $1 RETURNING \(orchestratorColumns)
        """)
    static let setStatus = PGStatement(name: "set_status", sql: """
        UPDATE orchestrator_agents
        SET status = $2,
            metadata = CASE WHEN $3::jsonb IS NULL THEN metadata - 'status_detail'
                            ELSE jsonb_set(metadata, '{status_detail}', $3::jsonb) END
        WHERE id = $1 RETURNING \(orchestratorColumns)
        """)
    /// One UPDATE: the row lock makes concurrent adds queue, so none is lost.
    static let addUsage = PGStatement(name: "add_usage", sql: """
        UPDATE orchestrator_agents
        SET input_tokens = input_tokens + $2::bigint, output_tokens = output_tokens + $3::bigint,
            total_cost = total_cost + $4::numeric
        WHERE id = $1 RETURNING \(orchestratorColumns)
        """)
    static let deleteOrchestrator = PGStatement(name: "delete_orchestrator", sql: "DELETE FROM orchestrator_agents WHERE id = $1")
    static let orchestratorExists = PGStatement(name: "orchestrator_exists", sql: "SELECT 1 FROM orchestrator_agents WHERE id = $1")

    static let insertChat = PGStatement(name: "insert_chat", sql: """
        INSERT INTO orchestrator_chat (id, orchestrator_agent_id, sender_type, receiver_type, message, agent_id, metadata)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING \(chatColumns)
        """)
    /// The newest rows below a cursor, newest first: a backward range scan of idx_orchestrator_chat_orch_seq.
    static let historySQL = """
        SELECT \(chatColumns) FROM orchestrator_chat
        WHERE orchestrator_agent_id = $1 AND seq < $2::bigint ORDER BY seq DESC LIMIT $3::int
        """
    static let history = PGStatement(name: "history", sql: historySQL)
    static let cursorSeq = PGStatement(name: "cursor_seq", sql: """
        SELECT seq FROM orchestrator_chat WHERE id = $1 AND orchestrator_agent_id = $2
        """)
    /// The identity's next value is past every row's, unless the row is its orchestrator's last already.
    static let moveChatToEnd = PGStatement(name: "move_chat_to_end", sql: """
        UPDATE orchestrator_chat SET seq = DEFAULT
        WHERE id = $1 AND orchestrator_agent_id = $2
          AND seq < (SELECT max(seq) FROM orchestrator_chat WHERE orchestrator_agent_id = $2)
        """)
    /// Kept by triggers (schema_v2): one lookup, however long the history.
    static let turnCount = PGStatement(name: "turn_count", sql: """
        SELECT chat_count FROM orchestrator_chat_counts WHERE orchestrator_agent_id = $1
        """)
    /// Alternating user → orchestrator and orchestrator → user rows, generated in the server.
    static let bulkInsertChat = PGStatement(name: "bulk_insert_chat", sql: """
        INSERT INTO orchestrator_chat (orchestrator_agent_id, sender_type, receiver_type, message, metadata)
        SELECT $1::uuid,
               CASE WHEN i % 2 = 1 THEN 'user' ELSE 'orchestrator' END,
               CASE WHEN i % 2 = 1 THEN 'orchestrator' ELSE 'user' END,
               'seeded message ' || i || ': ' || repeat('lorem ipsum ', 8),
               '{}'::jsonb
        FROM generate_series(1, $2::int) AS i
        """)

    static let insertAgent = PGStatement(name: "insert_agent", sql: """
        INSERT INTO agents (id, orchestrator_agent_id, name, model, system_prompt, working_dir, metadata, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING \(agentColumns)
        """)
    static let agentByID = PGStatement(name: "agent_by_id", sql: "SELECT \(agentColumns) FROM agents WHERE id = $1")
    /// Creation order; $2 includes the archived agents.
    static let agentsOfOrchestrator = PGStatement(name: "agents_of_orchestrator", sql: """
        SELECT \(agentColumns) FROM agents WHERE orchestrator_agent_id = $1 AND ($2::boolean OR NOT archived) ORDER BY created_at, id
        """)
    /// Archiving is for good: a later status leaves `archived` set (the name may have been reused since).
    static let setAgentStatus = PGStatement(name: "set_agent_status", sql: """
        UPDATE agents SET status = $2, status_reason = $3, archived = (archived OR $2 = 'archived') WHERE id = $1 RETURNING \(agentColumns)
        """)
    static let updateAgentSession = PGStatement(name: "update_agent_session", sql: """
        UPDATE agents SET session_id = $2 WHERE id = $1 RETURNING \(agentColumns)
        """)
    /// One UPDATE: the row lock makes concurrent adds queue, so none is lost.
    static let addAgentUsage = PGStatement(name: "add_agent_usage", sql: """
        UPDATE agents
        SET input_tokens = input_tokens + $2::bigint, output_tokens = output_tokens + $3::bigint, total_cost = total_cost + $4::numeric
        WHERE id = $1 RETURNING \(agentColumns)
        """)
    /// One statement, so it can be pipelined with the writer's other rows, and all or nothing: the agent's
    /// next seq (its row lock makes concurrent inserts take turns) and the row that uses it. No row comes
    /// back for an unknown agent; a failed insert undoes the increment with it.
    static let insertAgentLog = PGStatement(name: "insert_agent_log", sql: """
        WITH next AS (UPDATE agents SET log_seq = log_seq + 1 WHERE id = $2::uuid RETURNING log_seq)
        INSERT INTO agent_logs (id, agent_id, seq, turn_id, event_category, event_type, content, payload, session_id, task_slug,
                                entry_index)
        SELECT $1::uuid, $2::uuid, next.log_seq, $10::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text, $8::text, $9::int FROM next
        RETURNING seq
        """)
    /// Read before the page; no row means no such agent.
    static let agentLogSeq = PGStatement(name: "agent_log_seq", sql: "SELECT log_seq FROM agents WHERE id = $1")
    /// Rows up to the `log_seq` read before ($3), so the page never runs past `last_seq`:
    /// a range scan of idx_agent_logs_agent_seq, already in seq order.
    static let agentLogs = PGStatement(name: "agent_logs", sql: """
        SELECT \(agentLogColumns) FROM agent_logs AS l
        WHERE l.agent_id = $1 AND l.seq > $2::bigint AND l.seq <= $3::bigint ORDER BY l.seq LIMIT $4::int
        """)
    /// Rows up to the `log_seq` read before ($2), counted by kind (an index range scan of idx_agent_logs_agent_seq).
    static let agentLogCounts = PGStatement(name: "agent_log_counts", sql: """
        SELECT event_category, event_type, count(*) FROM agent_logs WHERE agent_id = $1 AND seq <= $2::bigint
        GROUP BY event_category, event_type ORDER BY event_category, event_type
        """)
    /// Read by `RecordRow.permission()`, in this order.
    static let permissionColumns = """
        id::text, orchestrator_agent_id::text, agent_id::text, session_id, tool_name, input::text, suggestions::text, status, \
        decision::text, decided_by, \(timestamp("created_at")), \(timestamp("expires_at")), \(timestamp("decided_at"))
        """
    static let insertPermission = PGStatement(name: "insert_permission", sql: """
        INSERT INTO permission_requests (id, orchestrator_agent_id, agent_id, session_id, tool_name, input, suggestions, status,
                                         decision, decided_by, expires_at, decided_at)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10, $11::timestamptz,
                CASE WHEN $8 = 'pending' THEN NULL ELSE clock_timestamp() END)
        RETURNING \(permissionColumns)
        """)
    /// Only a pending request changes: of two decisions, the second finds none and is told who won.
    static let decidePermission = PGStatement(name: "decide_permission", sql: """
        UPDATE permission_requests SET status = $2, decided_by = $3, decision = $4::jsonb, decided_at = clock_timestamp()
        WHERE id = $1 AND status = 'pending' RETURNING \(permissionColumns)
        """)
    static let permissionByID = PGStatement(name: "permission_by_id", sql: "SELECT \(permissionColumns) FROM permission_requests WHERE id = $1")
    static let permissionRequests = PGStatement(name: "permission_requests", sql: """
        SELECT \(permissionColumns) FROM permission_requests
        WHERE orchestrator_agent_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR agent_id = $3::uuid)
          AND ($4::uuid IS NULL OR id < $4::uuid)
        ORDER BY id DESC LIMIT $5::int
        """)
    static let expirePermissions = PGStatement(name: "expire_permissions", sql: """
        UPDATE permission_requests SET status = 'expired', decided_by = 'host', decision = $2::jsonb, decided_at = clock_timestamp()
        WHERE orchestrator_agent_id = $1 AND status = 'pending' RETURNING \(permissionColumns)
        """)
    static let insertSystemLog = PGStatement(name: "insert_system_log", sql: """
        INSERT INTO system_logs (id, level, message, metadata, file_path) VALUES ($1, $2, $3, $4::jsonb, $5)
        """)
    /// Read by `RecordRow.systemLog()`, in this order.
    static let systemLogColumns = "s.id::text, s.level, s.message, s.metadata::text, s.file_path, \(timestamp("s.timestamp"))"
    /// The filters every read of system logs applies, each skipped when its parameter is NULL:
    /// $1 an ILIKE pattern escaped with \, $2 a level, $3 an orchestrator id.
    private static let systemLogFilters = """
        ($1::text IS NULL OR message ILIKE $1::text ESCAPE '\\') AND ($2::text IS NULL OR level = $2::text)
          AND ($3::text IS NULL OR (metadata ->> 'orchestrator_agent_id') = $3::text)
        """
    /// $4 limit, $5 offset.
    private static let systemLogOrder = "ORDER BY s.timestamp DESC, s.id DESC LIMIT $4::int OFFSET $5::bigint"
    static let readSystemLogs = PGStatement(name: "read_system_logs", sql: """
        SELECT \(systemLogColumns) FROM system_logs AS s WHERE \(systemLogFilters) \(systemLogOrder)
        """)
    /// With $6, an array of turn ids: the expression and predicate of idx_system_logs_turn (schema_v4), so
    /// each id is a lookup in that index however large the table; only the matching rows are sorted.
    static let readSystemLogsOfTurns = PGStatement(name: "read_system_logs_of_turns", sql: """
        SELECT \(systemLogColumns) FROM system_logs AS s
        WHERE (metadata ->> 'turn_id') = ANY($6::text[]) AND (metadata ->> 'turn_id') IS NOT NULL
          AND \(systemLogFilters) \(systemLogOrder)
        """)
    static let deleteSystemLogs = PGStatement(name: "delete_system_logs", sql: """
        DELETE FROM system_logs WHERE id = ANY($1::uuid[])
        """)

    /// Table names are constants of StoreRules, never request data.
    static let rowCounts = PGStatement(name: "row_counts", sql: "SELECT "
        + StoreRules.tables.map { "(SELECT count(*) FROM \($0))" }.joined(separator: ", "))
}
