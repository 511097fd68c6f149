import Foundation
import PluginAPI

/// The store operations as typed async calls, over any way of sending a JSON
/// request (the host's `StoreClient`, a test's raw instance). Failures arrive
/// as the `PluginError` the store replied with.
public struct StoreAPI: Sendable {
    private let send: @Sendable (Data) async throws -> Data

    public init(request: @escaping @Sendable (Data) async throws -> Data) {
        self.send = request
    }

    public func health() async throws -> StoreHealth {
        try await call(.health, NoArguments())
    }

    /// The one non-archived orchestrator, created (with these values) when there is none.
    public func getOrCreateOrchestrator(systemPrompt: String? = nil, workingDir: String? = nil) async throws -> (orchestrator: OrchestratorRecord, created: Bool) {
        let reply: OrchestratorReply = try await call(.getOrCreateOrchestrator, NewOrchestrator(systemPrompt: systemPrompt, workingDir: workingDir))
        return (reply.orchestrator, reply.created ?? false)
    }

    /// Always a new orchestrator (benchmarks and tests that need several).
    public func createOrchestrator(systemPrompt: String? = nil, workingDir: String? = nil, metadata: JSONValue? = nil) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await call(.createOrchestrator, NewOrchestrator(systemPrompt: systemPrompt, workingDir: workingDir, metadata: metadata))
        return reply.orchestrator
    }

    public func orchestrator(id: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await call(.getOrchestrator, IDArguments(id: id))
        return reply.orchestrator
    }

    public func orchestrator(sessionID: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await call(.getOrchestratorBySession, SessionArguments(sessionID: sessionID))
        return reply.orchestrator
    }

    public func updateSession(orchestratorID: String, sessionID: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await call(.updateSession, UpdateSessionArguments(orchestratorID: orchestratorID, sessionID: sessionID))
        return reply.orchestrator
    }

    public func setStatus(orchestratorID: String, status: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await call(.setStatus, SetStatusArguments(orchestratorID: orchestratorID, status: status))
        return reply.orchestrator
    }

    /// Adds one turn's usage to the totals, atomically; returns the updated orchestrator.
    public func addUsage(orchestratorID: String, inputTokens: Int64, outputTokens: Int64, costUSD: Double) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await call(.addUsage, AddUsageArguments(
            orchestratorID: orchestratorID, inputTokens: inputTokens, outputTokens: outputTokens, costUSD: costUSD))
        return reply.orchestrator
    }

    public func insertChat(_ message: NewChatMessage) async throws -> ChatMessageRecord {
        let reply: ChatMessageReply = try await call(.insertChat, message)
        return reply.message
    }

    /// The newest `limit` messages (older than `before`, when given), oldest first.
    public func chatHistory(orchestratorID: String, limit: Int? = nil, before: String? = nil) async throws -> (messages: [ChatMessageRecord], hasMore: Bool) {
        let reply: ChatHistoryReply = try await call(.chatHistory, ChatHistoryArguments(orchestratorID: orchestratorID, limit: limit, before: before))
        return (reply.messages, reply.hasMore)
    }

    public func turnCount(orchestratorID: String) async throws -> Int {
        let reply: TurnCountReply = try await call(.turnCount, OrchestratorArguments(orchestratorID: orchestratorID))
        return reply.turnCount
    }

    public func insertAgent(orchestratorID: String, name: String, model: String, systemPrompt: String? = nil,
                            workingDir: String? = nil, metadata: JSONValue? = nil) async throws -> AgentRecord {
        let reply: AgentReply = try await call(.insertAgent, NewAgent(
            orchestratorID: orchestratorID, name: name, model: model, systemPrompt: systemPrompt, workingDir: workingDir, metadata: metadata))
        return reply.agent
    }

    /// Returns the new log row's id.
    public func insertAgentLog(agentID: String, eventCategory: String, eventType: String, content: String? = nil,
                               payload: JSONValue? = nil, sessionID: String? = nil, taskSlug: String? = nil,
                               entryIndex: Int? = nil) async throws -> String {
        let reply: IDReply = try await call(.insertAgentLog, NewAgentLog(
            agentID: agentID, eventCategory: eventCategory, eventType: eventType, content: content, payload: payload,
            sessionID: sessionID, taskSlug: taskSlug, entryIndex: entryIndex))
        return reply.id
    }

    /// Returns the new log row's id. `level` is DEBUG, INFO, WARNING or ERROR.
    public func insertSystemLog(level: String, message: String, metadata: JSONValue? = nil, filePath: String? = nil) async throws -> String {
        let reply: IDReply = try await call(.insertSystemLog, NewSystemLog(level: level, message: message, metadata: metadata, filePath: filePath))
        return reply.id
    }

    /// Deletes the orchestrator with its chat, agents and their logs; false if there was none.
    public func deleteOrchestrator(id: String) async throws -> Bool {
        let reply: DeletedReply<Bool> = try await call(.deleteOrchestrator, IDArguments(id: id))
        return reply.deleted
    }

    /// Returns how many rows were deleted.
    @discardableResult
    public func deleteSystemLogs(ids: [String]) async throws -> Int {
        let reply: DeletedReply<Int> = try await call(.deleteSystemLogs, DeleteSystemLogsArguments(ids: ids))
        return reply.deleted
    }

    /// Rows per table (`StoreRules.tables`).
    public func rowCounts() async throws -> [String: Int] {
        let reply: RowCountsReply = try await call(.rowCounts, NoArguments())
        return reply.tables
    }

    /// Seeds `count` chat rows in one statement or transaction (benchmarks); returns how many.
    public func bulkInsertChat(orchestratorID: String, count: Int) async throws -> Int {
        let reply: InsertedReply = try await call(.bulkInsertChat, BulkInsertChatArguments(orchestratorID: orchestratorID, count: count))
        return reply.inserted
    }

    /// The database's plan for the chat_history query (to check it is an index range scan).
    public func explainChatHistory(orchestratorID: String) async throws -> String {
        let reply: PlanReply = try await call(.explainChatHistory, OrchestratorArguments(orchestratorID: orchestratorID))
        return reply.plan
    }

    private func call<Arguments: Encodable, Reply: Decodable>(_ op: StoreOp, _ arguments: Arguments) async throws -> Reply {
        let reply = try await send(try JSON.encode(Envelope(op: op.rawValue, arguments: arguments)))
        do {
            // Replies that carry records take the fast reader.
            if let fast = Reply.self as? any JSONReadable.Type, let read = try JSONReader.read(reply, { try fast.init(reading: &$0) }) as? Reply {
                return read
            }
            return try JSON.decode(Reply.self, from: reply)
        } catch {
            throw PluginError.internal("the store's reply to \(op.rawValue) does not match docs/protocol.md: \(error); reply: \(String(decoding: reply.prefix(300), as: UTF8.self))")
        }
    }

    /// The arguments' fields with `"op"` beside them, as one JSON object.
    private struct Envelope<Arguments: Encodable>: Encodable {
        let op: String
        let arguments: Arguments

        private struct OpKey: CodingKey {
            var stringValue: String { "op" }
            var intValue: Int? { nil }
            init() {}
            init?(stringValue: String) {}
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            try arguments.encode(to: encoder)
            var container = encoder.container(keyedBy: OpKey.self)
            try container.encode(op, forKey: OpKey())
        }
    }
}
