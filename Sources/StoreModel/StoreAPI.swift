import Foundation
import PluginAPI

/// The `orch.store/1` operations as typed async calls, over any way of
/// sending a JSON request (the host's `StoreClient`, a test's raw instance).
/// Failures arrive as the `PluginError` the store replied with. The optional
/// diagnostics are `StoreDiagnostics`.
public struct StoreAPI: Sendable {
    private let caller: StoreCaller

    public init(request: @escaping @Sendable (Data) async throws -> Data) {
        caller = StoreCaller(send: request)
    }

    public func health() async throws -> StoreHealth {
        try await caller.call(.health, NoArguments())
    }

    /// The one non-archived orchestrator, created (with these values) when there is none.
    public func getOrCreateOrchestrator(systemPrompt: String? = nil, workingDir: String? = nil) async throws -> (orchestrator: OrchestratorRecord, created: Bool) {
        let reply: OrchestratorReply = try await caller.call(.getOrCreateOrchestrator, NewOrchestrator(systemPrompt: systemPrompt, workingDir: workingDir))
        return (reply.orchestrator, reply.created ?? false)
    }

    public func orchestrator(id: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await caller.call(.getOrchestrator, IDArguments(id: id))
        return reply.orchestrator
    }

    public func orchestrator(sessionID: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await caller.call(.getOrchestratorBySession, SessionArguments(sessionID: sessionID))
        return reply.orchestrator
    }

    public func updateSession(orchestratorID: String, sessionID: String) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await caller.call(.updateSession, UpdateSessionArguments(orchestratorID: orchestratorID, sessionID: sessionID))
        return reply.orchestrator
    }

    /// Sets the orchestrator's status; `detail` (an object, kept as `metadata.status_detail`) says what it is about, nil removes it.
    public func setStatus(orchestratorID: String, status: String, detail: JSONValue? = nil) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await caller.call(.setStatus, SetStatusArguments(orchestratorID: orchestratorID, status: status, detail: detail))
        return reply.orchestrator
    }

    /// Adds one turn's usage to the totals, atomically; returns the updated orchestrator.
    public func addUsage(orchestratorID: String, inputTokens: Int64, outputTokens: Int64, costUSD: Double) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await caller.call(.addUsage, AddUsageArguments(
            orchestratorID: orchestratorID, inputTokens: inputTokens, outputTokens: outputTokens, costUSD: costUSD))
        return reply.orchestrator
    }

    public func insertChat(_ message: NewChatMessage) async throws -> ChatMessageRecord {
        let reply: ChatMessageReply = try await caller.call(.insertChat, message)
        return reply.message
    }

    /// The newest `limit` messages (older than `before`, when given), oldest first.
    public func chatHistory(orchestratorID: String, limit: Int? = nil, before: String? = nil) async throws -> (messages: [ChatMessageRecord], hasMore: Bool) {
        let reply: ChatHistoryReply = try await caller.call(.chatHistory, ChatHistoryArguments(orchestratorID: orchestratorID, limit: limit, before: before))
        return (reply.messages, reply.hasMore)
    }

    /// `chatHistory`'s reply as the store wrote it (`{messages, has_more}`, records with sorted keys):
    /// the host passes the messages on to clients without decoding them.
    public func chatHistoryJSON(orchestratorID: String, limit: Int? = nil, before: String? = nil) async throws -> Data {
        try await caller.raw(.chatHistory, ChatHistoryArguments(orchestratorID: orchestratorID, limit: limit, before: before))
    }

    /// A queued message takes its place in the conversation when its turn starts (see `StoreOperations`).
    @discardableResult
    public func moveChatToEnd(orchestratorID: String, id: String) async throws -> Bool {
        let reply: MovedReply = try await caller.call(.moveChatToEnd, MoveChatArguments(orchestratorID: orchestratorID, id: id))
        return reply.moved
    }

    public func turnCount(orchestratorID: String) async throws -> Int {
        let reply: TurnCountReply = try await caller.call(.turnCount, OrchestratorArguments(orchestratorID: orchestratorID))
        return reply.turnCount
    }

    /// A new agent, `idle` unless `status` says otherwise (never `archived`).
    public func insertAgent(orchestratorID: String, name: String, model: String, systemPrompt: String? = nil,
                            workingDir: String? = nil, metadata: JSONValue? = nil, status: AgentStatus? = nil) async throws -> AgentRecord {
        let reply: AgentReply = try await caller.call(.insertAgent, NewAgent(
            orchestratorID: orchestratorID, name: name, model: model, systemPrompt: systemPrompt, workingDir: workingDir,
            metadata: metadata, status: status))
        return reply.agent
    }

    public func agent(id: String) async throws -> AgentRecord {
        let reply: AgentReply = try await caller.call(.getAgent, IDArguments(id: id))
        return reply.agent
    }

    /// The orchestrator's agents in creation order; archived (deleted) ones only when asked.
    public func agents(orchestratorID: String, includeArchived: Bool = false) async throws -> [AgentRecord] {
        let reply: AgentsReply = try await caller.call(
            .listAgents, ListAgentsArguments(orchestratorID: orchestratorID, includeArchived: includeArchived))
        return reply.agents
    }

    /// Sets the agent's status and why (`reason` nil clears it); `.archived` deletes the agent, freeing its name.
    public func setAgentStatus(id: String, status: AgentStatus, reason: String? = nil) async throws -> AgentRecord {
        let reply: AgentReply = try await caller.call(.setAgentStatus, SetAgentStatusArguments(id: id, status: status, reason: reason))
        return reply.agent
    }

    public func updateAgentSession(id: String, sessionID: String) async throws -> AgentRecord {
        let reply: AgentReply = try await caller.call(.updateAgentSession, UpdateAgentSessionArguments(id: id, sessionID: sessionID))
        return reply.agent
    }

    /// Adds one turn's usage to the agent's totals, atomically; returns the updated agent.
    public func addAgentUsage(id: String, inputTokens: Int64, outputTokens: Int64, costUSD: Double) async throws -> AgentRecord {
        let reply: AgentReply = try await caller.call(.addAgentUsage, AddAgentUsageArguments(
            id: id, inputTokens: inputTokens, outputTokens: outputTokens, costUSD: costUSD))
        return reply.agent
    }

    /// Returns the new log row's id and its `seq` in the agent's log (1, 2, 3…, without gaps).
    @discardableResult
    public func insertAgentLog(agentID: String, eventCategory: String, eventType: String, content: String? = nil,
                               payload: JSONValue? = nil, sessionID: String? = nil, taskSlug: String? = nil,
                               entryIndex: Int? = nil, turnID: String? = nil) async throws -> InsertedAgentLog {
        try await caller.call(.insertAgentLog, NewAgentLog(
            agentID: agentID, eventCategory: eventCategory, eventType: eventType, content: content, payload: payload,
            sessionID: sessionID, taskSlug: taskSlug, entryIndex: entryIndex, turnID: turnID))
    }

    /// The agent's log rows after `sinceSeq`, oldest first (`limit` defaults to 100, at most 1000).
    public func agentLogs(agentID: String, sinceSeq: Int64 = 0, limit: Int? = nil) async throws -> AgentLogPage {
        try await caller.call(.agentLogs, AgentLogsArguments(agentID: agentID, sinceSeq: sinceSeq, limit: limit))
    }

    public func agentLogCounts(agentID: String) async throws -> AgentLogCounts {
        try await caller.call(.agentLogCounts, AgentLogCountsArguments(agentID: agentID))
    }

    /// `agentLogs`' reply as the store wrote it (`{logs, has_more, last_seq}`), for transports, undecoded.
    public func agentLogsJSON(agentID: String, sinceSeq: Int64 = 0, limit: Int? = nil) async throws -> Data {
        try await caller.raw(.agentLogs, AgentLogsArguments(agentID: agentID, sinceSeq: sinceSeq, limit: limit))
    }

    /// Returns the new log row's id. `level` is DEBUG, INFO, WARNING or ERROR.
    public func insertSystemLog(level: String, message: String, metadata: JSONValue? = nil, filePath: String? = nil) async throws -> String {
        let reply: IDReply = try await caller.call(.insertSystemLog, NewSystemLog(level: level, message: message, metadata: metadata, filePath: filePath))
        return reply.id
    }

    /// System logs newest first, narrowed by every filter given: `contains` (a case-insensitive substring of the
    /// message, taken literally), `level`, `turnIDs` (rows whose `metadata.turn_id` is one of them, at most 1000),
    /// `orchestratorID` (`metadata.orchestrator_agent_id`). `offset` defaults to 0, `limit` to 50 (at most 1000).
    public func readSystemLogs(offset: Int? = nil, limit: Int? = nil, contains: String? = nil, level: String? = nil,
                               turnIDs: [String]? = nil, orchestratorID: String? = nil)
        async throws -> (logs: [SystemLogRecord], hasMore: Bool) {
        let reply: SystemLogsReply = try await caller.call(.readSystemLogs, ReadSystemLogsArguments(
            offset: offset, limit: limit, contains: contains, level: level, turnIDs: turnIDs, orchestratorID: orchestratorID))
        return (reply.logs, reply.hasMore)
    }

    // MARK: Permission requests

    public func insertPermissionRequest(_ request: NewPermissionRequest) async throws -> PermissionRecord {
        let reply: PermissionReply = try await caller.call(.insertPermissionRequest, request)
        return reply.request
    }

    /// Decides a pending request once; `permission_decided` (conflict) names the decision that came first.
    public func decidePermissionRequest(id: String, status: PermissionStatus, decidedBy: PermissionDecider,
                                        decision: JSONValue? = nil) async throws -> PermissionRecord {
        let reply: PermissionReply = try await caller.call(.decidePermissionRequest,
                                                           DecidePermissionArguments(id: id, status: status, decidedBy: decidedBy, decision: decision))
        return reply.request
    }

    /// Newest first; `status: .pending` is the inbox. `limit` defaults to 100 (at most 1000).
    public func permissionRequests(orchestratorID: String, status: PermissionStatus? = nil, agentID: String? = nil,
                                   before: String? = nil, limit: Int? = nil) async throws -> PermissionsReply {
        try await caller.call(.permissionRequests, PermissionRequestsArguments(
            orchestratorID: orchestratorID, status: status, agentID: agentID, before: before, limit: limit))
    }

    /// Expires what a stopped host left pending, and returns it.
    public func expirePermissionRequests(orchestratorID: String) async throws -> [PermissionRecord] {
        let reply: PermissionsReply = try await caller.call(.expirePermissionRequests, OrchestratorArguments(orchestratorID: orchestratorID))
        return reply.requests
    }
}
