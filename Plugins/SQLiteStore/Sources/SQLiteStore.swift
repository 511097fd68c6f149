import Foundation
import PluginAPI
import StoreModel
import StoreSupport

@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(
        name: SQLiteStore.name, version: "1.0.0", description: "Orch's embedded store on SQLite (WAL)", store: SQLiteStore.self))
}

/// The embedded default store: one SQLite file in WAL mode, written by one
/// connection on its own thread and read by `readers` others, so writes are
/// serialized (which is what makes add_usage atomic) while reads run beside them.
/// The writer commits together the writes that queued while it was busy (`GroupCommitter`).
final class SQLiteStore: StoreDiagnosticOperations {
    static let name = "SQLiteStore"

    private let settings: SQLiteSettings
    private let writerThread: WorkerPool<SQLiteConnection>
    private let writer: GroupCommitter<SQLiteConnection>
    private let readers: WorkerPool<SQLiteConnection>
    private let schemaVersion: Int
    private let migrationsApplied: Int

    init(host: PluginHost) throws {
        let settings = try SQLiteSettings(host)
        self.settings = settings
        for warning in try settings.prepareFiles() { host.log(.warning, warning) }
        do {
            let writing = try SQLiteConnection(path: settings.path, busyTimeoutMilliseconds: settings.busyTimeoutMilliseconds, readOnly: false)
            try writing.checkIntegrity()
            (schemaVersion, migrationsApplied) = try SQLiteMigrator.migrate(writing)
            let reading = try (0..<settings.readers).map { _ in
                try SQLiteConnection(path: settings.path, busyTimeoutMilliseconds: settings.busyTimeoutMilliseconds, readOnly: true)
            }
            writerThread = WorkerPool(name: "orch-sqlite-writer", resources: [writing])
            writer = GroupCommitter(pool: writerThread, sql: SQLiteQueries.batch)
            readers = WorkerPool(name: "orch-sqlite-reader", resources: reading)
        } catch let failure as SQLiteFailure {
            throw failure.pluginError(meanings: [:], path: settings.path)
        }
        host.log(.info, "SQLiteStore: \(settings.path), schema version \(schemaVersion) (\(migrationsApplied) migration(s) applied now), \(settings.readers) reader(s)")
    }

    deinit {
        readers.shutdown()
        writerThread.shutdown()
    }

    /// Runs `body` in the writer's next batch. `meanings` gives the store's error for a
    /// constraint failure, by a fragment of SQLite's message ("orchestrator_chat.id").
    @discardableResult
    private func write<T: Sendable>(_ meanings: [String: PluginError] = [:], _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await explained(meanings) { try await writer.write(body) }
    }

    /// Runs `body` on the writer by itself, in its place in the queue: for work that frames its own transaction.
    private func writeAlone<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await explained([:]) { try await writer.writeAlone(body) }
    }

    private func explained<T>(_ meanings: [String: PluginError], _ call: () async throws -> T) async throws -> T {
        do { return try await call() } catch let failure as SQLiteFailure {
            throw failure.pluginError(meanings: meanings, path: settings.path)
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        do { return try await readers.run(body) } catch let failure as SQLiteFailure {
            throw failure.pluginError(meanings: [:], path: settings.path)
        }
    }

    private func orchestrator(_ rows: [SQLiteRow], orElse missing: PluginError) throws -> OrchestratorRecord {
        guard let row = rows.first else { throw missing }
        return try row.orchestrator()
    }

    private func agent(_ rows: [SQLiteRow], id: String) throws -> AgentRecord {
        guard let row = rows.first else { throw StoreError.unknownAgent(id) }
        return try row.agent()
    }

    private static func require(_ connection: SQLiteConnection, _ sql: String, _ id: String, orElse missing: PluginError) throws {
        if try connection.query(sql, [.text(id)]).isEmpty { throw missing }
    }

    // MARK: - StoreOperations

    func health() async throws -> StoreHealth {
        _ = try await read { try $0.query(SQLiteQueries.ping) }
        return StoreHealth(ok: true, store: Self.name, schemaVersion: schemaVersion, migrationsApplied: migrationsApplied)
    }

    func getOrCreateOrchestrator(_ defaults: NewOrchestrator) async throws -> (orchestrator: OrchestratorRecord, created: Bool) {
        // On the writer, inside one transaction: another process's get-or-create waits for this one.
        try await writeAlone { connection in
            try connection.transaction {
                if let row = try connection.query(SQLiteQueries.newestActiveOrchestrator).first { return (try row.orchestrator(), false) }
                return (try Self.insertOrchestrator(defaults, on: connection), true)
            }
        }
    }

    func createOrchestrator(_ new: NewOrchestrator) async throws -> OrchestratorRecord {
        try await write { try Self.insertOrchestrator(new, on: $0) }
    }

    private static func insertOrchestrator(_ new: NewOrchestrator, on connection: SQLiteConnection) throws -> OrchestratorRecord {
        let rows = try connection.query(SQLiteQueries.insertOrchestrator, [
            .text(UUIDv7.next()), optional(new.systemPrompt), optional(new.workingDir), try jsonText(new.metadata), .text(MicrosecondClock.next()),
        ])
        guard let row = rows.first else { throw PluginError.internal("SQLiteStore: INSERT … RETURNING returned no row") }
        return try row.orchestrator()
    }

    func orchestrator(id: String) async throws -> OrchestratorRecord {
        try orchestrator(try await read { try $0.query(SQLiteQueries.orchestratorByID, [.text(id)]) }, orElse: StoreError.unknownOrchestrator(id))
    }

    func orchestrator(sessionID: String) async throws -> OrchestratorRecord {
        try orchestrator(try await read { try $0.query(SQLiteQueries.orchestratorBySession, [.text(sessionID)]) },
                         orElse: StoreError.unknownSession(sessionID))
    }

    func updateSession(orchestratorID: String, sessionID: String) async throws -> OrchestratorRecord {
        let rows = try await write(["orchestrator_agents.session_id": StoreError.sessionInUse(sessionID)]) {
            try $0.query(SQLiteQueries.updateSession, [.text(orchestratorID), .text(sessionID), .text(MicrosecondClock.next())])
        }
        return try orchestrator(rows, orElse: StoreError.unknownOrchestrator(orchestratorID))
    }

    func setStatus(orchestratorID: String, status: String, detail: JSONValue?) async throws -> OrchestratorRecord {
        let detailText = try detail.map { try Self.jsonText($0) } ?? .null
        let rows = try await write {
            try $0.query(SQLiteQueries.setStatus, [.text(orchestratorID), .text(status), .text(MicrosecondClock.next()), detailText])
        }
        return try orchestrator(rows, orElse: StoreError.unknownOrchestrator(orchestratorID))
    }

    func addUsage(orchestratorID: String, inputTokens: Int64, outputTokens: Int64, cost: PicoDollars) async throws -> OrchestratorRecord {
        // The CHECKs on typeof(...) = 'integer' fail when a sum overflows 64 bits.
        let rows = try await write(["CHECK constraint failed": StoreError.costOverflow(orchestratorID)]) {
            try $0.query(SQLiteQueries.addUsage, [.text(orchestratorID), .integer(inputTokens), .integer(outputTokens),
                                                  .integer(cost.value), .text(MicrosecondClock.next())])
        }
        return try orchestrator(rows, orElse: StoreError.unknownOrchestrator(orchestratorID))
    }

    func insertChat(_ message: NewChatMessage) async throws -> ChatMessageRecord {
        let id = message.id ?? UUIDv7.next()
        let metadata = try Self.jsonText(message.metadata)
        let rows = try await write(["orchestrator_chat.id": StoreError.duplicateID(id)]) { connection in
            // SQLite's foreign-key error does not say which key failed; these lookups on the one writer do.
            try Self.require(connection, SQLiteQueries.orchestratorExists, message.orchestratorID,
                             orElse: StoreError.unknownOrchestrator(message.orchestratorID))
            if let agentID = message.agentID {
                try Self.require(connection, SQLiteQueries.agentExists, agentID, orElse: StoreError.unknownAgent(agentID))
            }
            return try connection.query(SQLiteQueries.insertChat, [
                .text(id), .text(message.orchestratorID), .text(message.sender.rawValue), .text(message.receiver.rawValue),
                .text(message.message), Self.optional(message.agentID), metadata, .text(MicrosecondClock.next()),
            ])
        }
        guard let row = rows.first else { throw PluginError.internal("SQLiteStore: INSERT … RETURNING returned no row") }
        return try row.chatMessage()
    }

    func chatHistory(orchestratorID: String, limit: Int, before: String?) async throws -> (messages: [ChatMessageRecord], hasMore: Bool) {
        let rows = try await read { connection -> [SQLiteRow] in
            var cursor = Int64.max
            if let before {
                guard let row = try connection.query(SQLiteQueries.cursorSeq, [.text(before), .text(orchestratorID)]).first else {
                    throw StoreError.unknownMessage(before, orchestratorID: orchestratorID)
                }
                cursor = try row.int64(0)
            }
            let rows = try connection.query(SQLiteQueries.history, [.text(orchestratorID), .integer(cursor), .integer(Int64(limit + 1))])
            if rows.isEmpty, before == nil {
                try Self.require(connection, SQLiteQueries.orchestratorExists, orchestratorID, orElse: StoreError.unknownOrchestrator(orchestratorID))
            }
            return rows
        }
        return (try Array(rows.prefix(limit)).chatMessages().reversed(), rows.count > limit)
    }

    func moveChatToEnd(orchestratorID: String, id: String) async throws -> Bool {
        try await write { connection in
            if try connection.run(SQLiteQueries.moveChatToEnd, [.text(id), .text(orchestratorID)]) == 1 { return true }
            guard try !connection.query(SQLiteQueries.cursorSeq, [.text(id), .text(orchestratorID)]).isEmpty else {
                throw StoreError.unknownMessageToMove(id, orchestratorID: orchestratorID)
            }
            return false
        }
    }

    func turnCount(orchestratorID: String) async throws -> Int {
        Int(try await read { try $0.query(SQLiteQueries.turnCount, [.text(orchestratorID)]).first?.int64(0) ?? 0 })
    }

    func insertAgent(_ agent: NewAgent) async throws -> AgentRecord {
        let metadata = try Self.jsonText(agent.metadata)
        let duplicate = StoreError.duplicateAgentName(agent.name, orchestratorID: agent.orchestratorID)
        let rows = try await write(["agents.orchestrator_agent_id, agents.name": duplicate]) { connection in
            try Self.require(connection, SQLiteQueries.orchestratorExists, agent.orchestratorID,
                             orElse: StoreError.unknownOrchestrator(agent.orchestratorID))
            return try connection.query(SQLiteQueries.insertAgent, [
                .text(UUIDv7.next()), .text(agent.orchestratorID), .text(agent.name), .text(agent.model),
                Self.optional(agent.systemPrompt), Self.optional(agent.workingDir), metadata,
                .text((agent.status ?? .idle).rawValue), .text(MicrosecondClock.next()),
            ])
        }
        guard let row = rows.first else { throw PluginError.internal("SQLiteStore: INSERT … RETURNING returned no row") }
        return try row.agent()
    }

    func agent(id: String) async throws -> AgentRecord {
        try agent(try await read { try $0.query(SQLiteQueries.agentByID, [.text(id)]) }, id: id)
    }

    func agents(orchestratorID: String, includeArchived: Bool) async throws -> [AgentRecord] {
        try await read { connection in
            let rows = try connection.query(SQLiteQueries.agentsOfOrchestrator, [.text(orchestratorID), .integer(includeArchived ? 1 : 0)])
            if rows.isEmpty {
                try Self.require(connection, SQLiteQueries.orchestratorExists, orchestratorID,
                                 orElse: StoreError.unknownOrchestrator(orchestratorID))
            }
            return try rows.agents()
        }
    }

    func setAgentStatus(id: String, status: AgentStatus, reason: String?) async throws -> AgentRecord {
        try agent(try await write {
            try $0.query(SQLiteQueries.setAgentStatus,
                         [.text(id), .text(status.rawValue), Self.optional(reason), .text(MicrosecondClock.next())])
        }, id: id)
    }

    func updateAgentSession(id: String, sessionID: String) async throws -> AgentRecord {
        try agent(try await write {
            try $0.query(SQLiteQueries.updateAgentSession, [.text(id), .text(sessionID), .text(MicrosecondClock.next())])
        }, id: id)
    }

    func addAgentUsage(id: String, inputTokens: Int64, outputTokens: Int64, cost: PicoDollars) async throws -> AgentRecord {
        // The CHECKs on typeof(...) = 'integer' fail when a sum overflows 64 bits.
        try agent(try await write(["CHECK constraint failed": StoreError.agentCostOverflow(id)]) {
            try $0.query(SQLiteQueries.addAgentUsage, [.text(id), .integer(inputTokens), .integer(outputTokens), .integer(cost.value),
                                                       .text(MicrosecondClock.next())])
        }, id: id)
    }

    func insertAgentLog(_ log: NewAgentLog) async throws -> InsertedAgentLog {
        let id = UUIDv7.next()
        let payload = try Self.jsonText(log.payload)
        let seq = try await write(["FOREIGN KEY": StoreError.unknownAgent(log.agentID)]) { connection in
            // The seq and the row together or neither: a failed insert must not use up a seq.
            try connection.atomically {
                guard let next = try connection.query(SQLiteQueries.nextLogSeq, [.text(log.agentID)]).first else {
                    throw StoreError.unknownAgent(log.agentID)
                }
                let seq = try next.int64(0)
                try connection.run(SQLiteQueries.insertAgentLog, [
                    .text(id), .text(log.agentID), .integer(seq), Self.optional(log.turnID), .text(log.eventCategory), .text(log.eventType),
                    Self.optional(log.content), payload, Self.optional(log.sessionID), Self.optional(log.taskSlug),
                    log.entryIndex.map { .integer(Int64($0)) } ?? .null, .text(MicrosecondClock.next()),
                ])
                return seq
            }
        }
        return InsertedAgentLog(id: id, seq: seq)
    }

    func agentLogs(agentID: String, sinceSeq: Int64, limit: Int) async throws -> AgentLogPage {
        let (lastSeq, rows) = try await read { connection -> (Int64, [SQLiteRow]) in
            guard let agent = try connection.query(SQLiteQueries.agentLogSeq, [.text(agentID)]).first else {
                throw StoreError.unknownAgent(agentID)
            }
            let lastSeq = try agent.int64(0)
            guard lastSeq > sinceSeq else { return (lastSeq, []) }
            return (lastSeq, try connection.query(SQLiteQueries.agentLogs, [
                .text(agentID), .integer(sinceSeq), .integer(lastSeq), .integer(Int64(limit + 1)),
            ]))
        }
        return try rows.agentLogPage(lastSeq: lastSeq, limit: limit)
    }

    func agentLogCounts(agentID: String) async throws -> AgentLogCounts {
        let (lastSeq, rows) = try await read { connection -> (Int64, [SQLiteRow]) in
            guard let agent = try connection.query(SQLiteQueries.agentLogSeq, [.text(agentID)]).first else {
                throw StoreError.unknownAgent(agentID)
            }
            let lastSeq = try agent.int64(0)
            return (lastSeq, try connection.query(SQLiteQueries.agentLogCounts, [.text(agentID), .integer(lastSeq)]))
        }
        return try rows.agentLogCounts(lastSeq: lastSeq)
    }

    func insertPermissionRequest(_ request: NewPermissionRequest) async throws -> PermissionRecord {
        let (input, suggestions, decision) = (try Self.jsonText(request.input), try Self.jsonText(request.suggestions), try Self.jsonText(request.decision))
        let rows = try await write { connection in
            try Self.require(connection, SQLiteQueries.orchestratorExists, request.orchestratorID,
                             orElse: StoreError.unknownOrchestrator(request.orchestratorID))
            if let agentID = request.agentID {
                try Self.require(connection, SQLiteQueries.agentExists, agentID, orElse: StoreError.unknownAgent(agentID))
            }
            return try connection.query(SQLiteQueries.insertPermission, [
                .text(UUIDv7.next()), .text(request.orchestratorID), Self.optional(request.agentID), .text(request.sessionID),
                .text(request.toolName), input, suggestions, .text(request.status ?? "pending"), decision, Self.optional(request.decidedBy),
                .text(MicrosecondClock.next()), Self.optional(request.expiresAt),
            ])
        }
        guard let row = rows.first else { throw PluginError.internal("SQLiteStore: INSERT … RETURNING returned no row") }
        return try row.permission()
    }

    func decidePermissionRequest(_ decision: DecidePermissionArguments) async throws -> PermissionRecord {
        let how = try Self.jsonText(decision.decision)
        let (decided, existing) = try await write { connection -> ([SQLiteRow], [SQLiteRow]) in
            let decided = try connection.query(SQLiteQueries.decidePermission, [
                .text(decision.id), .text(decision.status), .text(decision.decidedBy), how, .text(MicrosecondClock.next()),
            ])
            return (decided, decided.isEmpty ? try connection.query(SQLiteQueries.permissionByID, [.text(decision.id)]) : [])
        }
        if let row = decided.first { return try row.permission() }
        guard let row = existing.first else { throw StoreError.unknownPermission(decision.id) }
        throw StoreError.permissionDecided(try row.permission())
    }

    func permissionRequests(_ query: PermissionRequestsArguments) async throws -> PermissionsReply {
        let limit = query.limit ?? StoreRules.defaultPermissionLimit
        let rows = try await read { connection in
            let rows = try connection.query(SQLiteQueries.permissionRequests, [
                .text(query.orchestratorID), Self.optional(query.status), Self.optional(query.agentID), Self.optional(query.before),
                .integer(Int64(limit + 1)),
            ])
            if rows.isEmpty {
                try Self.require(connection, SQLiteQueries.orchestratorExists, query.orchestratorID,
                                 orElse: StoreError.unknownOrchestrator(query.orchestratorID))
            }
            return rows
        }
        return PermissionsReply(requests: try Array(rows.prefix(limit)).permissions(), hasMore: rows.count > limit)
    }

    func expirePermissionRequests(orchestratorID: String) async throws -> [PermissionRecord] {
        let rows = try await write { connection in
            try connection.query(SQLiteQueries.expirePermissions, [
                .text(orchestratorID), .text(#"{"reason":"host_restarted"}"#), .text(MicrosecondClock.next()),
            ])
        }
        return try rows.permissions().sorted { $0.id < $1.id }
    }

    func insertSystemLog(_ log: NewSystemLog) async throws -> String {
        let id = UUIDv7.next()
        let metadata = try Self.jsonText(log.metadata)
        try await write { connection in
            try connection.run(SQLiteQueries.insertSystemLog, [
                .text(id), .text(log.level), .text(log.message), metadata, Self.optional(log.filePath), .text(MicrosecondClock.next()),
            ])
        }
        return id
    }

    func readSystemLogs(_ query: ReadSystemLogsArguments) async throws -> (logs: [SystemLogRecord], hasMore: Bool) {
        let limit = query.limit ?? StoreRules.defaultSystemLogLimit
        if query.turnIDs?.isEmpty == true { return ([], false) }
        var parameters: [SQLiteValue] = [
            Self.optional(query.containsPattern), Self.optional(query.level), Self.optional(query.orchestratorID),
            .integer(Int64(limit + 1)), .integer(Int64(query.offset ?? 0)),
        ]
        var sql = SQLiteQueries.readSystemLogs
        if let turnIDs = query.turnIDs {
            parameters.append(.text(String(decoding: try JSON.encode(turnIDs), as: UTF8.self)))
            sql = SQLiteQueries.readSystemLogsOfTurns
        }
        let rows = try await read { [parameters, sql] in try $0.query(sql, parameters) }
        return try rows.systemLogPage(limit: limit)
    }

    func deleteOrchestrator(id: String) async throws -> Bool {
        try await write { try $0.run(SQLiteQueries.deleteOrchestrator, [.text(id)]) } > 0
    }

    func deleteSystemLogs(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let list = String(decoding: try JSON.encode(ids), as: UTF8.self)
        return try await write { try $0.run(SQLiteQueries.deleteSystemLogs, [.text(list)]) }
    }

    func rowCounts() async throws -> [String: Int] {
        let rows = try await read { try $0.query(SQLiteQueries.rowCounts) }
        guard let row = rows.first else { throw PluginError.internal("SQLiteStore: row counts returned no row") }
        var counts: [String: Int] = [:]
        for (index, table) in StoreRules.tables.enumerated() { counts[table] = Int(try row.int64(index)) }
        return counts
    }

    func bulkInsertChat(orchestratorID: String, count: Int) async throws -> Int {
        try await writeAlone { connection in
            try Self.require(connection, SQLiteQueries.orchestratorExists, orchestratorID, orElse: StoreError.unknownOrchestrator(orchestratorID))
            return try connection.transaction {
                for index in 1...count {
                    let fromUser = index % 2 == 1
                    try connection.run(SQLiteQueries.bulkInsertChat, [
                        .text(UUIDv7.next()), .text(orchestratorID), .text(fromUser ? "user" : "orchestrator"),
                        .text(fromUser ? "orchestrator" : "user"),
                        .text("seeded message \(index): " + String(repeating: "lorem ipsum ", count: 8)), .text(MicrosecondClock.next()),
                    ])
                }
                return count
            }
        }
    }

    func explainChatHistory(orchestratorID: String) async throws -> String {
        let rows = try await read {
            try $0.query("EXPLAIN QUERY PLAN " + SQLiteQueries.history, [.text(orchestratorID), .integer(Int64.max), .integer(51)])
        }
        // Columns: id, parent, notused, detail.
        return rows.compactMap { $0.optional(3) }.joined(separator: "\n")
    }

    private static func optional(_ text: String?) -> SQLiteValue { text.map { .text($0) } ?? .null }

    private static func jsonText(_ value: JSONValue?) throws -> SQLiteValue {
        .text(String(decoding: try JSON.encode(value ?? .object([:])), as: UTF8.self))
    }
}
