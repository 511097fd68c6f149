import Foundation
import OrchHost
import PluginAPI
import StoreModel
import Testing

/// Migrations run when a store starts: once, recorded in schema_migrations,
/// and never against a database a newer plugin has written.
@Suite(.storeEnvironment)
struct MigrationTests {
    @Test(arguments: StoreKind.allCases)
    func applyingTwiceIsANoOp(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }

        let first = try database.open()
        let fresh = try await first.api.health()
        let made = try await first.diagnostics.createOrchestrator()
        await first.ref.destroy()
        #expect(fresh.schemaVersion == 5)
        #expect(fresh.migrationsApplied == 5)

        let second = try database.open()
        let again = try await second.api.health()
        #expect(again.schemaVersion == 5)
        #expect(again.migrationsApplied == 0, "the second start applies nothing")
        #expect(try await second.api.orchestrator(id: made.id) == made, "and keeps the data")
        await second.ref.destroy()
        #expect(try database.sql("SELECT version, name FROM schema_migrations ORDER BY version") == "1|schema_v1\n2|schema_v2\n3|schema_v3\n4|schema_v4\n5|schema_v5")
    }

    @Test(arguments: StoreKind.allCases)
    func aDatabaseFromANewerPluginIsRefused(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        try await database.open().ref.destroy()
        let now = kind == .postgres ? "now()" : "'2030-01-01T00:00:00.000000Z'"
        try database.sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', \(now))")

        #expect(throws: PluginLoadError.initFailed(plugin: kind.rawValue, kind: .store, status: .conflict, message: """
            \(kind.rawValue): the database \(database.location) has schema version 999, newer than this plugin understands (5); \
            upgrade orch, or point the store at another database
            """)) {
            _ = try database.open()
        }
        #expect(try database.sql("SELECT count(*) FROM schema_migrations") == "6", "the refusal changed nothing")

        try database.sql("DELETE FROM schema_migrations WHERE version = 999")
        let reopened = try database.open()
        #expect(try await reopened.api.health().schemaVersion == 5)
        await reopened.ref.destroy()
    }

    /// schema_v2 counts each orchestrator's chat rows; a database written under v1 gets the counts of
    /// the rows it already has, and the triggers keep them from then on.
    @Test(arguments: StoreKind.allCases)
    func upgradingToV2CountsTheChatRowsAlreadyThere(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        try database.migrated(through: 1)
        let (one, two) = (absentID(), absentID())
        try database.sql(Self.orchestrators([one, two]) + Self.chatRows(7, of: one) + Self.chatRows(3, of: two))

        let upgraded = try database.open()
        #expect(try await upgraded.api.health().migrationsApplied == 4)
        #expect(try await upgraded.api.turnCount(orchestratorID: one) == 7)
        #expect(try await upgraded.api.turnCount(orchestratorID: two) == 3)
        _ = try await upgraded.api.insertChat(.init(orchestratorID: two, sender: .user, receiver: .orchestrator, message: "one more"))
        #expect(try await upgraded.api.turnCount(orchestratorID: two) == 4)
        #expect(try await upgraded.diagnostics.deleteOrchestrator(id: one))
        #expect(try database.sql("SELECT count(*) FROM orchestrator_chat_counts") == "1", "an orchestrator's count goes with it")
        await upgraded.ref.destroy()
    }

    /// schema_v3 gives agents the sub-agent statuses and agent_logs their seq. A v2 database keeps
    /// every agent, log and chat row (SQLite rebuilds both tables), with old statuses mapped, logs
    /// numbered per agent in (timestamp, id) order, and each agent's log_seq where its logs end.
    @Test(arguments: StoreKind.allCases)
    func upgradingToV3MapsAgentStatusesAndNumbersTheLogsAlreadyThere(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        try database.migrated(through: 2)
        let orchestrator = absentID()
        let old = ["executing", "waiting", "blocked", "complete", "idle"]
        let agents = old.map { _ in absentID() }
        let created = "2026-01-02T03:04:05.678901Z"
        var script = Self.orchestrators([orchestrator])
        for (index, status) in old.enumerated() {
            script += """
                INSERT INTO agents (id, orchestrator_agent_id, name, model, status, archived, created_at, updated_at)
                VALUES ('\(agents[index])', '\(orchestrator)', '\(status) agent', 'm', '\(status)', \(database.boolean(status == "complete")),
                        '\(created)', '\(created)');
                """
        }
        // The first agent's logs, written out of id order and two in the same microsecond: seq follows (timestamp, id).
        let logs = ["0192f5e4-0000-7000-8000-000000000004", "0192f5e4-0000-7000-8000-000000000001",
                    "0192f5e4-0000-7000-8000-000000000003", "0192f5e4-0000-7000-8000-000000000002"]
        let times = ["2026-01-02T03:04:09.000000Z", "2026-01-02T03:04:07.000000Z", "2026-01-02T03:04:08.000000Z", "2026-01-02T03:04:08.000000Z"]
        for (log, time) in zip(logs, times) {
            script += """
                INSERT INTO agent_logs (id, agent_id, event_category, event_type, content, timestamp)
                VALUES ('\(log)', '\(agents[0])', 'hook', 'PreToolUse', 'at \(time)', '\(time)');
                """
        }
        script += """
            INSERT INTO agent_logs (id, agent_id, event_category, event_type, timestamp) VALUES ('\(absentID())', '\(agents[2])', 'response', 'text', '\(created)');
            INSERT INTO orchestrator_chat (id, orchestrator_agent_id, sender_type, receiver_type, message, agent_id, created_at, updated_at)
            VALUES ('\(absentID())', '\(orchestrator)', 'orchestrator', 'agent', 'go', '\(agents[0])', '\(created)', '\(created)');
            """
        try database.sql(script)

        let store = try database.open()
        let health = try await store.api.health()
        #expect(health.schemaVersion == 5 && health.migrationsApplied == 3)
        let expected: [AgentStatus] = [.running, .queued, .needsInput, .stopped, .idle]
        for (id, status) in zip(agents, expected) {
            let agent = try await store.api.agent(id: id)
            #expect(agent.status == status && agent.statusReason == nil)
            #expect(agent.createdAt == created && agent.updatedAt == created, "the migration is no update of the agent")
            #expect(agent.archived == (status == .stopped))
        }
        let page = try await store.api.agentLogs(agentID: agents[0])
        #expect(page.logs.map(\.id) == [logs[1], logs[3], logs[2], logs[0]])
        #expect(page.logs.map(\.seq) == [1, 2, 3, 4] && page.lastSeq == 4)
        #expect(page.logs.allSatisfy { $0.turnID == nil && $0.content == "at \($0.timestamp)" })
        #expect(try await store.api.agentLogs(agentID: agents[2]).lastSeq == 1)
        #expect(try await store.api.agentLogs(agentID: agents[1]) == AgentLogPage(logs: [], hasMore: false, lastSeq: 0))
        #expect(try await store.api.insertAgentLog(agentID: agents[0], eventCategory: "hook", eventType: "Stop").seq == 5)
        #expect(try await store.api.chatHistory(orchestratorID: orchestrator).messages.map(\.agentID) == [agents[0]], "chat rows keep their agent")

        // The archived agent's name is free again; a live one's is not.
        #expect(try await store.api.insertAgent(orchestratorID: orchestrator, name: "complete agent", model: "m").status == .idle)
        await #expect(throws: PluginError(.conflict, code: "duplicate_agent_name",
                                          "orchestrator \(orchestrator) already has an agent named \"executing agent\"; choose another name")) {
            _ = try await store.api.insertAgent(orchestratorID: orchestrator, name: "executing agent", model: "m")
        }
        // Foreign keys still hold (SQLite turned them off to rebuild): deleting the orchestrator cascades to everything.
        #expect(try await store.diagnostics.deleteOrchestrator(id: orchestrator))
        #expect(try await store.diagnostics.rowCounts().values.allSatisfy { $0 == 0 })
        await store.ref.destroy()
    }

    /// schema_v4 indexes system_logs by metadata.turn_id. A v3 database's rows are found by turn after the
    /// upgrade, and the read by turn ids is a lookup in that index: the plan of the store's query, as written in
    /// SQLiteQueries.readSystemLogsOfTurns and PostgresQueries.readSystemLogsOfTurns, with the parameters as literals.
    @Test(arguments: StoreKind.allCases)
    func upgradingToV4IndexesSystemLogsByTurn(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        try database.migrated(through: 3)
        let (turn, otherTurn, orchestrator) = (absentID(), absentID(), absentID())
        let logs = (0..<6).map { _ in absentID() }
        var script = ""
        for (index, id) in logs.enumerated() {
            let time = String(format: "2026-01-02T03:04:%02d.000000Z", index)
            let turnID = index < 3 ? turn : index < 5 ? otherTurn : nil
            let metadata = #"{"orchestrator_agent_id":"\#(orchestrator)""# + (turnID.map { #","turn_id":"\#($0)""# } ?? "") + "}"
            script += """
                INSERT INTO system_logs (id, level, message, metadata, timestamp)
                VALUES ('\(id)', 'INFO', 'line \(index)', '\(metadata)', '\(time)');
                """
        }
        try database.sql(script)

        let store = try database.open()
        let health = try await store.api.health()
        #expect(health.schemaVersion == 5 && health.migrationsApplied == 2)
        #expect(try await store.api.readSystemLogs(turnIDs: [turn]).logs.map(\.id) == [logs[2], logs[1], logs[0]])
        #expect(try await store.api.readSystemLogs(turnIDs: [turn, otherTurn], orchestratorID: orchestrator).logs.map(\.id)
                    == Array(logs[0..<5].reversed()))
        #expect(try await store.api.readSystemLogs(orchestratorID: orchestrator).logs.map(\.message)
                    == (0..<6).reversed().map { "line \($0)" })
        await store.ref.destroy()

        // 5,000 log lines of no turn, and fresh statistics: the planner's choice on a table where reading in timestamp
        // order and filtering would be the other candidate.
        switch kind {
        case .sqlite:
            try database.sql("""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
                INSERT INTO system_logs (id, level, message, metadata, timestamp)
                SELECT lower(hex(randomblob(16))), 'DEBUG', 'filler ' || i, '{}', '2026-01-03T00:00:00.000000Z' FROM n;
                ANALYZE;
                """)
        case .postgres:
            try database.sql("""
                INSERT INTO system_logs (id, level, message, metadata, timestamp)
                SELECT gen_random_uuid(), 'DEBUG', 'filler ' || i, '{}'::jsonb, '2026-01-03T00:00:00Z'::timestamptz + i * interval '1 ms'
                FROM generate_series(1, 5000) AS i;
                ANALYZE system_logs;
                """)
        }
        let plan: String
        switch kind {
        case .sqlite:
            plan = try database.sql("""
                EXPLAIN QUERY PLAN SELECT id, level, message, metadata, file_path, timestamp FROM system_logs
                WHERE json_extract(metadata, '$.turn_id') IN (SELECT value FROM json_each('["\(turn)"]'))
                  AND json_extract(metadata, '$.turn_id') IS NOT NULL
                  AND (NULL IS NULL OR message LIKE NULL ESCAPE '\\') AND (NULL IS NULL OR level = NULL)
                  AND (NULL IS NULL OR json_extract(metadata, '$.orchestrator_agent_id') = NULL)
                ORDER BY timestamp DESC, id DESC LIMIT 51 OFFSET 0
                """)
        case .postgres:
            plan = try database.sql("""
                EXPLAIN SELECT s.id FROM system_logs AS s
                WHERE (metadata ->> 'turn_id') = ANY('{\(turn)}'::text[]) AND (metadata ->> 'turn_id') IS NOT NULL
                  AND (NULL::text IS NULL OR message ILIKE NULL::text ESCAPE '\\') AND (NULL::text IS NULL OR level = NULL::text)
                  AND (NULL::text IS NULL OR (metadata ->> 'orchestrator_agent_id') = NULL::text)
                ORDER BY s.timestamp DESC, s.id DESC LIMIT 51 OFFSET 0
                """)
        }
        #expect(plan.contains("idx_system_logs_turn"), "\(plan)")
        if kind == .sqlite { #expect(plan.contains("SEARCH system_logs USING INDEX idx_system_logs_turn"), "\(plan)") }
    }

    static func orchestrators(_ ids: [String]) -> String {
        ids.map {
            "INSERT INTO orchestrator_agents (id, created_at, updated_at) VALUES ('\($0)', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');"
        }.joined()
    }

    static func chatRows(_ count: Int, of orchestrator: String) -> String {
        (1...count).map { index in
            let time = String(format: "2026-01-01T00:00:%02d.000000Z", index)
            return """
                INSERT INTO orchestrator_chat (id, orchestrator_agent_id, sender_type, receiver_type, message, created_at, updated_at)
                VALUES ('\(absentID())', '\(orchestrator)', 'user', 'orchestrator', 'message \(index)', '\(time)', '\(time)');
                """
        }.joined()
    }
}
