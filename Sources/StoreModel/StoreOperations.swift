import Foundation
import PluginAPI

/// What a store plugin implements: the `orch.store/1` operations as typed
/// methods that receive validated arguments. The default `handle` decodes each
/// request, applies `StoreRules` and encodes the reply, so every store speaks
/// exactly the JSON of docs/protocol.md. The optional diagnostics are
/// `StoreDiagnosticOperations`.
public protocol StoreOperations: StorePlugin {
    func health() async throws -> StoreHealth
    func getOrCreateOrchestrator(_ defaults: NewOrchestrator) async throws -> (orchestrator: OrchestratorRecord, created: Bool)
    func orchestrator(id: String) async throws -> OrchestratorRecord
    func orchestrator(sessionID: String) async throws -> OrchestratorRecord
    func updateSession(orchestratorID: String, sessionID: String) async throws -> OrchestratorRecord
    func addUsage(orchestratorID: String, inputTokens: Int64, outputTokens: Int64, cost: PicoDollars) async throws -> OrchestratorRecord
    /// `detail` (validated: an object, or nil to remove it) becomes `metadata.status_detail`; other metadata keys stay.
    func setStatus(orchestratorID: String, status: String, detail: JSONValue?) async throws -> OrchestratorRecord
    func insertChat(_ message: NewChatMessage) async throws -> ChatMessageRecord
    /// `limit` is validated (1...1000); `before`, when set, is a message id.
    func chatHistory(orchestratorID: String, limit: Int, before: String?) async throws -> (messages: [ChatMessageRecord], hasMore: Bool)
    /// Moves a saved message to the end of its orchestrator's conversation (history order), keeping its id:
    /// a queued message takes its place when its turn starts. False if it already was last;
    /// `unknown_message` if the orchestrator has no such message.
    func moveChatToEnd(orchestratorID: String, id: String) async throws -> Bool
    func turnCount(orchestratorID: String) async throws -> Int
    /// `agent.status` is validated and set (not `archived`).
    func insertAgent(_ agent: NewAgent) async throws -> AgentRecord
    func agent(id: String) async throws -> AgentRecord
    /// In creation order; `unknown_orchestrator` when there is no such orchestrator.
    func agents(orchestratorID: String, includeArchived: Bool) async throws -> [AgentRecord]
    /// `reason` nil clears `status_reason`; `archived` also sets (and nothing clears) `archived`.
    func setAgentStatus(id: String, status: AgentStatus, reason: String?) async throws -> AgentRecord
    func updateAgentSession(id: String, sessionID: String) async throws -> AgentRecord
    /// Atomic, as `addUsage`.
    func addAgentUsage(id: String, inputTokens: Int64, outputTokens: Int64, cost: PicoDollars) async throws -> AgentRecord
    /// Gives the row the agent's next `seq` in the insert's own transaction, so seqs have no gaps
    /// (a failed insert takes none) however many inserts run at once.
    func insertAgentLog(_ log: NewAgentLog) async throws -> InsertedAgentLog
    /// Rows with `seq > sinceSeq`, oldest first, at most `limit` (validated: 1...1000).
    func agentLogs(agentID: String, sinceSeq: Int64, limit: Int) async throws -> AgentLogPage
    /// Its rows counted by (category, type), in that order, and its newest `seq`.
    func agentLogCounts(agentID: String) async throws -> AgentLogCounts
    func insertSystemLog(_ log: NewSystemLog) async throws -> String
    /// The rows matching every filter `query` sets, newest first (timestamp, then id, descending), skipping
    /// `offset` (validated: set, >= 0) and at most `limit` (validated: set, 1...1000); `hasMore`: more rows match.
    /// `turnIDs` empty matches no row.
    func readSystemLogs(_ query: ReadSystemLogsArguments) async throws -> (logs: [SystemLogRecord], hasMore: Bool)
    /// `unknown_orchestrator`, `unknown_agent` for ids that do not exist.
    func insertPermissionRequest(_ request: NewPermissionRequest) async throws -> PermissionRecord
    /// Atomic: exactly one of concurrent decisions of one request wins; the others get `permission_decided`.
    func decidePermissionRequest(_ decision: DecidePermissionArguments) async throws -> PermissionRecord
    /// Newest first (by id), older than `before`, at most `limit` (validated).
    func permissionRequests(_ query: PermissionRequestsArguments) async throws -> PermissionsReply
    /// Every pending request of the orchestrator becomes `expired` by `host` (a host starting finds those its
    /// predecessor left); returns them.
    func expirePermissionRequests(orchestratorID: String) async throws -> [PermissionRecord]
}

extension StoreOperations {
    public func handle(_ request: Request) async throws -> Data {
        let op = try request.op(StoreOp.self, of: "\(Self.self)", named: "op", listedAs: "store ops") { name in
            StoreDiagnosticOp(rawValue: name).map { _ in StoreError.diagnosticOpSentToStore(name, store: "\(Self.self)") }
        }
        switch op {
        case .health:
            return try JSON.encode(try await health())
        case .getOrCreateOrchestrator:
            let (orchestrator, created) = try await getOrCreateOrchestrator(try request.arguments(NewOrchestrator.self))
            return OrchestratorReply(orchestrator: orchestrator, created: created).jsonData
        case .getOrchestrator:
            return reply(try await orchestrator(id: try request.arguments(IDArguments.self).id))
        case .getOrchestratorBySession:
            return reply(try await orchestrator(sessionID: try request.arguments(SessionArguments.self).sessionID))
        case .updateSession:
            let arguments = try request.arguments(UpdateSessionArguments.self)
            return reply(try await updateSession(orchestratorID: arguments.orchestratorID, sessionID: arguments.sessionID))
        case .addUsage:
            let arguments = try request.arguments(AddUsageArguments.self)
            return reply(try await addUsage(orchestratorID: arguments.orchestratorID, inputTokens: arguments.inputTokens,
                                                outputTokens: arguments.outputTokens, cost: arguments.cost))
        case .setStatus:
            let arguments = try request.arguments(SetStatusArguments.self)
            return reply(try await setStatus(orchestratorID: arguments.orchestratorID, status: arguments.status, detail: arguments.detail))
        case .insertChat:
            return ChatMessageReply(message: try await insertChat(try request.arguments(NewChatMessage.self))).jsonData
        case .chatHistory:
            let arguments = try request.arguments(ChatHistoryArguments.self)
            let (messages, hasMore) = try await chatHistory(
                orchestratorID: arguments.orchestratorID, limit: arguments.limit ?? StoreRules.defaultHistoryLimit, before: arguments.before)
            return ChatHistoryReply(messages: messages, hasMore: hasMore).jsonData
        case .moveChatToEnd:
            let arguments = try request.arguments(MoveChatArguments.self)
            return try JSON.encode(MovedReply(moved: try await moveChatToEnd(orchestratorID: arguments.orchestratorID, id: arguments.id)))
        case .turnCount:
            let count = try await turnCount(orchestratorID: try request.arguments(OrchestratorArguments.self).orchestratorID)
            return try JSON.encode(TurnCountReply(turnCount: count))
        case .insertAgent:
            return AgentReply(agent: try await insertAgent(try request.arguments(NewAgent.self))).jsonData
        case .getAgent:
            return AgentReply(agent: try await agent(id: try request.arguments(IDArguments.self).id)).jsonData
        case .listAgents:
            let arguments = try request.arguments(ListAgentsArguments.self)
            return AgentsReply(agents: try await agents(orchestratorID: arguments.orchestratorID,
                                                        includeArchived: arguments.includeArchived ?? false)).jsonData
        case .setAgentStatus:
            let arguments = try request.arguments(SetAgentStatusArguments.self)
            let agent = try await setAgentStatus(id: arguments.id, status: arguments.status, reason: arguments.reason)
            return AgentReply(agent: agent).jsonData
        case .updateAgentSession:
            let arguments = try request.arguments(UpdateAgentSessionArguments.self)
            return AgentReply(agent: try await updateAgentSession(id: arguments.id, sessionID: arguments.sessionID)).jsonData
        case .addAgentUsage:
            let arguments = try request.arguments(AddAgentUsageArguments.self)
            return AgentReply(agent: try await addAgentUsage(id: arguments.id, inputTokens: arguments.inputTokens,
                                                             outputTokens: arguments.outputTokens, cost: arguments.cost)).jsonData
        case .insertAgentLog:
            return try JSON.encode(try await insertAgentLog(try request.arguments(NewAgentLog.self)))
        case .agentLogs:
            let arguments = try request.arguments(AgentLogsArguments.self)
            return try await agentLogs(agentID: arguments.agentID, sinceSeq: arguments.sinceSeq ?? 0,
                                       limit: arguments.limit ?? StoreRules.defaultAgentLogLimit).jsonData
        case .agentLogCounts:
            return try await agentLogCounts(agentID: try request.arguments(AgentLogCountsArguments.self).agentID).jsonData
        case .insertSystemLog:
            return try JSON.encode(IDReply(id: try await insertSystemLog(try request.arguments(NewSystemLog.self))))
        case .readSystemLogs:
            let (logs, hasMore) = try await readSystemLogs(try request.arguments(ReadSystemLogsArguments.self))
            return SystemLogsReply(logs: logs, hasMore: hasMore).jsonData
        case .insertPermissionRequest:
            return PermissionReply(request: try await insertPermissionRequest(try request.arguments(NewPermissionRequest.self))).jsonData
        case .decidePermissionRequest:
            return PermissionReply(request: try await decidePermissionRequest(try request.arguments(DecidePermissionArguments.self))).jsonData
        case .permissionRequests:
            return try await permissionRequests(try request.arguments(PermissionRequestsArguments.self)).jsonData
        case .expirePermissionRequests:
            let expired = try await expirePermissionRequests(orchestratorID: try request.arguments(OrchestratorArguments.self).orchestratorID)
            return PermissionsReply(requests: expired, hasMore: false).jsonData
        }
    }

    func reply(_ orchestrator: OrchestratorRecord) -> Data {
        OrchestratorReply(orchestrator: orchestrator, created: nil).jsonData
    }
}

extension Request {
    /// The operation of `Op` this request names. Otherwise `misrouted` may say
    /// which other interface answers it; failing that, the refusal lists `Op`'s
    /// operations: "SQLiteStore has no op \"x\"; store ops are health, ...".
    func op<Op: RawRepresentable<String> & CaseIterable>(
        _ type: Op.Type, of store: String, named noun: String, listedAs list: String, misrouted: (String) -> PluginError?
    ) throws(PluginError) -> Op {
        if let known = Op(rawValue: op) { return known }
        if let refusal = misrouted(op) { throw refusal }
        throw .unsupported("\(store) has no \(noun) \"\(op)\"; \(list) are \(Op.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// Decodes and validates a store operation's arguments.
    func arguments<Arguments: StoreArguments>(_ type: Arguments.Type) throws(PluginError) -> Arguments {
        try decode(type).validated()
    }
}
