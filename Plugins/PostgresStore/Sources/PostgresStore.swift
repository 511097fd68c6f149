import Foundation
import PluginAPI
import StoreModel
import StoreSupport

@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(
        name: PostgresStore.name, version: "1.0.0", description: "Orch's store on PostgreSQL (libpq)", store: PostgresStore.self))
}

/// The store on PostgreSQL. Every statement runs on one of `pool_size`
/// dedicated threads, each owning a libpq connection; the async request is
/// completed from there, so the Swift pool never waits on the database.
/// Rows written at agent rates (chat rows and their place, agent and system
/// logs) go through one writer that commits together what arrives together
/// (`GroupCommitter`), so concurrent inserts share a durable commit.
final class PostgresStore: StoreDiagnosticOperations {
    static let name = "PostgresStore"

    private let settings: PostgresSettings
    private let pool: WorkerPool<PGConnection>
    private let writer: GroupCommitter<PGConnection>
    private let schemaVersion: Int
    private let migrationsApplied: Int

    init(host: PluginHost) throws {
        let settings = try PostgresSettings(host)
        self.settings = settings
        let first = PGConnection(settings)
        do {
            (schemaVersion, migrationsApplied) = try PostgresMigrator.migrate(first, location: settings.location)
        } catch let failure as PostgresFailure {
            throw PluginError(.internal, code: "migration_failed", "PostgresStore: migrating \(settings.location) failed: \(failure.sqlState) \(failure.message)")
        }
        let connections = [first] + (1..<settings.poolSize).map { _ in PGConnection(settings) }
        pool = WorkerPool(name: "orch-postgres", resources: connections)
        writer = GroupCommitter(pool: pool, sql: PostgresQueries.batch)
        host.log(.info, "PostgresStore: \(settings.location), schema version \(schemaVersion) (\(migrationsApplied) migration(s) applied now), pool of \(settings.poolSize)")
    }

    deinit { pool.shutdown() }

    /// Runs `body` on a pooled connection. `meanings` gives the store's error for
    /// a server error, by constraint name or SQLSTATE (e.g. a foreign key → unknown_orchestrator).
    private func run<T: Sendable>(_ meanings: [String: PluginError] = [:], _ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await explained(meanings) { try await pool.run(body) }
    }

    /// Runs `body` in the writer's next batch, on a pooled connection; the same `meanings` as `run`.
    private func write<T: Sendable>(_ meanings: [String: PluginError] = [:], _ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await explained(meanings) { try await writer.write(body) }
    }

    /// Runs one statement in the writer's next batch, pipelined with the others where they fit; the same `meanings` as `run`.
    private func write(_ meanings: [String: PluginError] = [:], _ statement: PGStatement, _ parameters: [String?]) async throws -> PGRows {
        try await explained(meanings) { try await writer.write(statement: PGWrite(statement: statement, parameters: parameters)) }
    }

    private func explained<T>(_ meanings: [String: PluginError], _ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let failure as PostgresFailure {
            throw failure.pluginError(meanings: meanings, statementTimeout: settings.statementTimeoutMilliseconds)
        }
    }

    private func orchestrator(_ rows: PGRows, orElse missing: PluginError) throws -> OrchestratorRecord {
        guard let row = rows.first else { throw missing }
        return try row.orchestrator()
    }

    private func agent(_ rows: PGRows, id: String) throws -> AgentRecord {
        guard let row = rows.first else { throw StoreError.unknownAgent(id) }
        return try row.agent()
    }

    // MARK: - StoreOperations

    func health() async throws -> StoreHealth {
        _ = try await run { try $0.execute(PostgresQueries.ping) }
        return StoreHealth(ok: true, store: Self.name, schemaVersion: schemaVersion, migrationsApplied: migrationsApplied)
    }

    func getOrCreateOrchestrator(_ defaults: NewOrchestrator) async throws -> (orchestrator: OrchestratorRecord, created: Bool) {
        try await run { connection in
            try connection.transaction {
                _ = try connection.execute(PostgresQueries.lockSingleton)
                if let row = try connection.execute(PostgresQueries.newestActiveOrchestrator).first {
                    return (try row.orchestrator(), false)
                }
                return (try Self.insertOrchestrator(defaults, on: connection), true)
            }
        }
    }

    func createOrchestrator(_ new: NewOrchestrator) async throws -> OrchestratorRecord {
        try await run { try Self.insertOrchestrator(new, on: $0) }
    }

    private static func insertOrchestrator(_ new: NewOrchestrator, on connection: PGConnection) throws -> OrchestratorRecord {
        let rows = try connection.execute(PostgresQueries.insertOrchestrator,
                                          [UUIDv7.next(), new.systemPrompt, new.workingDir, try jsonText(new.metadata)])
        guard let row = rows.first else { throw PluginError.internal("PostgresStore: INSERT … RETURNING returned no row") }
        return try row.orchestrator()
    }

    func orchestrator(id: String) async throws -> OrchestratorRecord {
        try orchestrator(try await run { try $0.execute(PostgresQueries.orchestratorByID, [id]) }, orElse: StoreError.unknownOrchestrator(id))
    }

    func orchestrator(sessionID: String) async throws -> OrchestratorRecord {
        try orchestrator(try await run { try $0.execute(PostgresQueries.orchestratorBySession, [sessionID]) }, orElse: StoreError.unknownSession(sessionID))
    }

    func updateSession(orchestratorID: String, sessionID: String) async throws -> OrchestratorRecord {
        let rows = try await run(["orchestrator_agents_session_unique": StoreError.sessionInUse(sessionID)]) {
            try $0.execute(PostgresQueries.updateSession, [orchestratorID, sessionID])
        }
        return try orchestrator(rows, orElse: StoreError.unknownOrchestrator(orchestratorID))
    }

    func setStatus(orchestratorID: String, status: String, detail: JSONValue?) async throws -> OrchestratorRecord {
        let detailText = try detail.map { try Self.jsonText($0) }
        return try orchestrator(try await run { try $0.execute(PostgresQueries.setStatus, [orchestratorID, status, detailText]) },
                                orElse: StoreError.unknownOrchestrator(orchestratorID))
    }

    func addUsage(orchestratorID: String, inputTokens: Int64, outputTokens: Int64, cost: PicoDollars) async throws -> OrchestratorRecord {
        // 22003: the sum no longer fits NUMERIC(20,12) or BIGINT.
        let rows = try await run(["22003": StoreError.costOverflow(orchestratorID)]) {
            try $0.execute(PostgresQueries.addUsage, [orchestratorID, String(inputTokens), String(outputTokens), cost.decimal])
        }
        return try orchestrator(rows, orElse: StoreError.unknownOrchestrator(orchestratorID))
    }

    func insertChat(_ message: NewChatMessage) async throws -> ChatMessageRecord {
        let id = message.id ?? UUIDv7.next()
        let metadata = try Self.jsonText(message.metadata)
        let constraints = [
            "orchestrator_chat_orchestrator_fk": StoreError.unknownOrchestrator(message.orchestratorID),
            "orchestrator_chat_agent_fk": StoreError.unknownAgent(message.agentID ?? ""),
            "orchestrator_chat_pkey": StoreError.duplicateID(id),
        ]
        let rows = try await write(constraints, PostgresQueries.insertChat, [id, message.orchestratorID, message.sender.rawValue,
                                                                             message.receiver.rawValue, message.message, message.agentID, metadata])
        guard let row = rows.first else { throw PluginError.internal("PostgresStore: INSERT … RETURNING returned no row") }
        return try row.chatMessage()
    }

    func chatHistory(orchestratorID: String, limit: Int, before: String?) async throws -> (messages: [ChatMessageRecord], hasMore: Bool) {
        let rows = try await run { connection -> PGRows in
            var cursor = String(Int64.max)
            if let before {
                guard let row = try connection.execute(PostgresQueries.cursorSeq, [before, orchestratorID]).first else {
                    throw StoreError.unknownMessage(before, orchestratorID: orchestratorID)
                }
                cursor = try row.text(0)
            }
            let rows = try connection.execute(PostgresQueries.history, [orchestratorID, cursor, String(limit + 1)])
            if rows.rows.isEmpty, before == nil, try connection.execute(PostgresQueries.orchestratorExists, [orchestratorID]).first == nil {
                throw StoreError.unknownOrchestrator(orchestratorID)
            }
            return rows
        }
        let page = try Array(rows.rows.prefix(limit)).chatMessages()
        return (page.reversed(), rows.rows.count > limit)
    }

    func moveChatToEnd(orchestratorID: String, id: String) async throws -> Bool {
        // Through the writer, in its place among the chat rows queued before it.
        try await write { connection in
            if try connection.execute(PostgresQueries.moveChatToEnd, [id, orchestratorID]).affected == 1 { return true }
            guard try connection.execute(PostgresQueries.cursorSeq, [id, orchestratorID]).first != nil else {
                throw StoreError.unknownMessageToMove(id, orchestratorID: orchestratorID)
            }
            return false
        }
    }

    func turnCount(orchestratorID: String) async throws -> Int {
        let rows = try await run { try $0.execute(PostgresQueries.turnCount, [orchestratorID]) }
        return Int(try rows.first?.int64(0) ?? 0)
    }

    func insertAgent(_ agent: NewAgent) async throws -> AgentRecord {
        let metadata = try Self.jsonText(agent.metadata)
        let constraints = [
            "agents_orchestrator_fk": StoreError.unknownOrchestrator(agent.orchestratorID),
            "agents_name_unique": StoreError.duplicateAgentName(agent.name, orchestratorID: agent.orchestratorID),
        ]
        let rows = try await run(constraints) {
            try $0.execute(PostgresQueries.insertAgent, [UUIDv7.next(), agent.orchestratorID, agent.name, agent.model,
                                                         agent.systemPrompt, agent.workingDir, metadata, (agent.status ?? .idle).rawValue])
        }
        guard let row = rows.first else { throw PluginError.internal("PostgresStore: INSERT … RETURNING returned no row") }
        return try row.agent()
    }

    func agent(id: String) async throws -> AgentRecord {
        try agent(try await run { try $0.execute(PostgresQueries.agentByID, [id]) }, id: id)
    }

    func agents(orchestratorID: String, includeArchived: Bool) async throws -> [AgentRecord] {
        try await run { connection in
            let rows = try connection.execute(PostgresQueries.agentsOfOrchestrator, [orchestratorID, includeArchived ? "true" : "false"])
            if rows.rows.isEmpty, try connection.execute(PostgresQueries.orchestratorExists, [orchestratorID]).first == nil {
                throw StoreError.unknownOrchestrator(orchestratorID)
            }
            return try rows.rows.agents()
        }
    }

    func setAgentStatus(id: String, status: AgentStatus, reason: String?) async throws -> AgentRecord {
        try agent(try await run { try $0.execute(PostgresQueries.setAgentStatus, [id, status.rawValue, reason]) }, id: id)
    }

    func updateAgentSession(id: String, sessionID: String) async throws -> AgentRecord {
        try agent(try await run { try $0.execute(PostgresQueries.updateAgentSession, [id, sessionID]) }, id: id)
    }

    func addAgentUsage(id: String, inputTokens: Int64, outputTokens: Int64, cost: PicoDollars) async throws -> AgentRecord {
        // 22003: the sum no longer fits NUMERIC(20,12) or BIGINT.
        try agent(try await run(["22003": StoreError.agentCostOverflow(id)]) {
            try $0.execute(PostgresQueries.addAgentUsage, [id, String(inputTokens), String(outputTokens), cost.decimal])
        }, id: id)
    }

    func insertAgentLog(_ log: NewAgentLog) async throws -> InsertedAgentLog {
        let id = UUIDv7.next()
        let payload = try Self.jsonText(log.payload)
        let rows = try await write(["agent_logs_agent_fk": StoreError.unknownAgent(log.agentID)], PostgresQueries.insertAgentLog,
                                   [id, log.agentID, log.eventCategory, log.eventType, log.content, payload, log.sessionID, log.taskSlug,
                                    log.entryIndex.map(String.init), log.turnID])
        guard let row = rows.first else { throw StoreError.unknownAgent(log.agentID) }
        return InsertedAgentLog(id: id, seq: try row.int64(0))
    }

    func agentLogs(agentID: String, sinceSeq: Int64, limit: Int) async throws -> AgentLogPage {
        let (lastSeq, rows) = try await run { connection -> (Int64, [PGRow]) in
            guard let agent = try connection.execute(PostgresQueries.agentLogSeq, [agentID]).first else {
                throw StoreError.unknownAgent(agentID)
            }
            let lastSeq = try agent.int64(0)
            guard lastSeq > sinceSeq else { return (lastSeq, []) }
            return (lastSeq, try connection.execute(PostgresQueries.agentLogs,
                                                    [agentID, String(sinceSeq), String(lastSeq), String(limit + 1)]).rows)
        }
        return try rows.agentLogPage(lastSeq: lastSeq, limit: limit)
    }

    func agentLogCounts(agentID: String) async throws -> AgentLogCounts {
        let (lastSeq, rows) = try await run { connection -> (Int64, [PGRow]) in
            guard let agent = try connection.execute(PostgresQueries.agentLogSeq, [agentID]).first else {
                throw StoreError.unknownAgent(agentID)
            }
            let lastSeq = try agent.int64(0)
            return (lastSeq, try connection.execute(PostgresQueries.agentLogCounts, [agentID, String(lastSeq)]).rows)
        }
        return try rows.agentLogCounts(lastSeq: lastSeq)
    }

    func insertPermissionRequest(_ request: NewPermissionRequest) async throws -> PermissionRecord {
        let (input, suggestions, decision) = (try Self.jsonText(request.input), try Self.jsonText(request.suggestions), try Self.jsonText(request.decision))
        let constraints = [
            "permission_requests_orchestrator_fk": StoreError.unknownOrchestrator(request.orchestratorID),
            "permission_requests_agent_fk": StoreError.unknownAgent(request.agentID ?? ""),
        ]
        let rows = try await run(constraints) {
            try $0.execute(PostgresQueries.insertPermission, [
                UUIDv7.next(), request.orchestratorID, request.agentID, request.sessionID, request.toolName, input, suggestions,
                request.status ?? "pending", decision, request.decidedBy, request.expiresAt,
            ])
        }
        guard let row = rows.first else { throw PluginError.internal("PostgresStore: INSERT … RETURNING returned no row") }
        return try row.permission()
    }

    func decidePermissionRequest(_ decision: DecidePermissionArguments) async throws -> PermissionRecord {
        let how = try Self.jsonText(decision.decision)
        let (decided, existing) = try await run { connection -> (PGRows, PGRows?) in
            let decided = try connection.execute(PostgresQueries.decidePermission, [decision.id, decision.status, decision.decidedBy, how])
            return (decided, decided.rows.isEmpty ? try connection.execute(PostgresQueries.permissionByID, [decision.id]) : nil)
        }
        if let row = decided.first { return try row.permission() }
        guard let row = existing?.first else { throw StoreError.unknownPermission(decision.id) }
        throw StoreError.permissionDecided(try row.permission())
    }

    func permissionRequests(_ query: PermissionRequestsArguments) async throws -> PermissionsReply {
        let limit = query.limit ?? StoreRules.defaultPermissionLimit
        let rows = try await run { connection -> [PGRow] in
            let rows = try connection.execute(PostgresQueries.permissionRequests, [
                query.orchestratorID, query.status, query.agentID, query.before, String(limit + 1),
            ]).rows
            if rows.isEmpty, try connection.execute(PostgresQueries.orchestratorExists, [query.orchestratorID]).rows.isEmpty {
                throw StoreError.unknownOrchestrator(query.orchestratorID)
            }
            return rows
        }
        return PermissionsReply(requests: try Array(rows.prefix(limit)).permissions(), hasMore: rows.count > limit)
    }

    func expirePermissionRequests(orchestratorID: String) async throws -> [PermissionRecord] {
        let rows = try await write([:], PostgresQueries.expirePermissions, [orchestratorID, #"{"reason":"host_restarted"}"#])
        return try rows.rows.permissions().sorted { $0.id < $1.id }
    }

    func insertSystemLog(_ log: NewSystemLog) async throws -> String {
        let id = UUIDv7.next()
        let metadata = try Self.jsonText(log.metadata)
        _ = try await write([:], PostgresQueries.insertSystemLog, [id, log.level, log.message, metadata, log.filePath])
        return id
    }

    func readSystemLogs(_ query: ReadSystemLogsArguments) async throws -> (logs: [SystemLogRecord], hasMore: Bool) {
        let limit = query.limit ?? StoreRules.defaultSystemLogLimit
        if query.turnIDs?.isEmpty == true { return ([], false) }
        var parameters: [String?] = [query.containsPattern, query.level, query.orchestratorID, String(limit + 1), String(query.offset ?? 0)]
        var statement = PostgresQueries.readSystemLogs
        if let turnIDs = query.turnIDs {
            // Validated UUIDs only, so the array literal needs no quoting.
            parameters.append("{" + turnIDs.joined(separator: ",") + "}")
            statement = PostgresQueries.readSystemLogsOfTurns
        }
        let rows = try await run { [parameters, statement] in try $0.execute(statement, parameters) }
        return try rows.rows.systemLogPage(limit: limit)
    }

    func deleteOrchestrator(id: String) async throws -> Bool {
        try await run { try $0.execute(PostgresQueries.deleteOrchestrator, [id]).affected } > 0
    }

    func deleteSystemLogs(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        // Validated UUIDs only, so the array literal needs no quoting.
        return try await run { try $0.execute(PostgresQueries.deleteSystemLogs, ["{" + ids.joined(separator: ",") + "}"]).affected }
    }

    func rowCounts() async throws -> [String: Int] {
        let rows = try await run { try $0.execute(PostgresQueries.rowCounts) }
        guard let row = rows.first else { throw PluginError.internal("PostgresStore: row counts returned no row") }
        var counts: [String: Int] = [:]
        for (index, table) in StoreRules.tables.enumerated() { counts[table] = Int(try row.int64(index)) }
        return counts
    }

    func bulkInsertChat(orchestratorID: String, count: Int) async throws -> Int {
        try await run(["orchestrator_chat_orchestrator_fk": StoreError.unknownOrchestrator(orchestratorID)]) { connection in
            let inserted = try connection.execute(PostgresQueries.bulkInsertChat, [orchestratorID, String(count)]).affected
            // Fresh statistics, so the planner sees the new rows when choosing the history plan.
            try connection.execute(script: "ANALYZE orchestrator_chat")
            return inserted
        }
    }

    func explainChatHistory(orchestratorID: String) async throws -> String {
        let rows = try await run {
            try $0.execute(sql: "EXPLAIN " + PostgresQueries.historySQL, [orchestratorID, String(Int64.max), "51"])
        }
        return rows.rows.compactMap { $0.optional(0) }.joined(separator: "\n")
    }

    private static func jsonText(_ value: JSONValue?) throws -> String {
        String(decoding: try JSON.encode(value ?? .object([:])), as: UTF8.self)
    }
}
