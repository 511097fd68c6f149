import PluginAPI

/// The JSON arguments of the sub-agent operations (docs/protocol.md), decoded and
/// `validated()` by `StoreOperations` like every other `StoreArguments`.

/// `insert_agent`.
public struct NewAgent: StoreArguments, Equatable {
    public var orchestratorID: String
    public var name: String
    public var model: String
    public var systemPrompt: String?
    public var workingDir: String?
    public var metadata: JSONValue?
    /// Absent means `idle`; never `archived`.
    public var status: AgentStatus?
    public init(orchestratorID: String, name: String, model: String, systemPrompt: String? = nil,
                workingDir: String? = nil, metadata: JSONValue? = nil, status: AgentStatus? = nil) {
        self.orchestratorID = orchestratorID
        self.name = name
        self.model = model
        self.systemPrompt = systemPrompt
        self.workingDir = workingDir
        self.metadata = metadata
        self.status = status
    }
    enum CodingKeys: String, CodingKey {
        case name, model, metadata, status
        case orchestratorID = "orchestrator_agent_id"
        case systemPrompt = "system_prompt"
        case workingDir = "working_dir"
    }
    /// After validation `status` is always set.
    public func validated() throws(PluginError) -> NewAgent {
        var valid = self
        valid.orchestratorID = try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id")
        valid.name = try StoreRules.nonEmpty(name, field: "name")
        valid.model = try StoreRules.nonEmpty(model, field: "model")
        valid.metadata = try StoreRules.metadata(metadata)
        valid.status = try StoreRules.newAgentStatus(status ?? .idle)
        return valid
    }
}

/// `list_agents`.
public struct ListAgentsArguments: StoreArguments {
    public var orchestratorID: String
    public var includeArchived: Bool?
    public init(orchestratorID: String, includeArchived: Bool? = nil) {
        self.orchestratorID = orchestratorID
        self.includeArchived = includeArchived
    }
    enum CodingKeys: String, CodingKey {
        case orchestratorID = "orchestrator_agent_id"
        case includeArchived = "include_archived"
    }
    /// After validation `includeArchived` is always set.
    public func validated() throws(PluginError) -> ListAgentsArguments {
        .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"),
              includeArchived: includeArchived ?? false)
    }
}

/// `set_agent_status`: `reason` says why (null or absent clears it).
public struct SetAgentStatusArguments: StoreArguments {
    public var id: String
    public var status: AgentStatus
    public var reason: String?
    public init(id: String, status: AgentStatus, reason: String? = nil) {
        self.id = id
        self.status = status
        self.reason = reason
    }
    public func validated() throws(PluginError) -> SetAgentStatusArguments {
        .init(id: try StoreRules.uuid(id, field: "id"), status: status, reason: reason)
    }
}

/// `update_agent_session`.
public struct UpdateAgentSessionArguments: StoreArguments {
    public var id: String
    public var sessionID: String
    public init(id: String, sessionID: String) {
        self.id = id
        self.sessionID = sessionID
    }
    enum CodingKeys: String, CodingKey {
        case id
        case sessionID = "session_id"
    }
    public func validated() throws(PluginError) -> UpdateAgentSessionArguments {
        .init(id: try StoreRules.uuid(id, field: "id"), sessionID: try StoreRules.nonEmpty(sessionID, field: "session_id"))
    }
}

/// `add_agent_usage`: one turn's tokens and cost, added to the agent's totals (the rules of `add_usage`).
public struct AddAgentUsageArguments: StoreArguments {
    public var id: String
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var costUSD: Double
    public init(id: String, inputTokens: Int64, outputTokens: Int64, costUSD: Double) {
        self.id = id
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
    }
    enum CodingKeys: String, CodingKey {
        case id
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case costUSD = "cost_usd"
    }
    public func validated() throws(PluginError) -> AddAgentUsageArguments {
        _ = try StoreRules.cost(costUSD)
        return .init(id: try StoreRules.uuid(id, field: "id"), inputTokens: try StoreRules.tokens(inputTokens, field: "input_tokens"),
                     outputTokens: try StoreRules.tokens(outputTokens, field: "output_tokens"), costUSD: costUSD)
    }
    /// The cost exactly, once validated.
    public var cost: PicoDollars { PicoDollars(dollars: costUSD) ?? .zero }
}

/// `insert_agent_log`: one hook event or response block of a sub-agent.
public struct NewAgentLog: StoreArguments, Equatable {
    public var agentID: String
    public var eventCategory: String
    public var eventType: String
    public var content: String?
    public var payload: JSONValue?
    public var sessionID: String?
    public var taskSlug: String?
    public var entryIndex: Int?
    public var turnID: String?
    public init(agentID: String, eventCategory: String, eventType: String, content: String? = nil,
                payload: JSONValue? = nil, sessionID: String? = nil, taskSlug: String? = nil, entryIndex: Int? = nil,
                turnID: String? = nil) {
        self.agentID = agentID
        self.eventCategory = eventCategory
        self.eventType = eventType
        self.content = content
        self.payload = payload
        self.sessionID = sessionID
        self.taskSlug = taskSlug
        self.entryIndex = entryIndex
        self.turnID = turnID
    }
    enum CodingKeys: String, CodingKey {
        case content, payload
        case agentID = "agent_id"
        case eventCategory = "event_category"
        case eventType = "event_type"
        case sessionID = "session_id"
        case taskSlug = "task_slug"
        case entryIndex = "entry_index"
        case turnID = "turn_id"
    }
    public func validated() throws(PluginError) -> NewAgentLog {
        var valid = self
        valid.agentID = try StoreRules.uuid(agentID, field: "agent_id")
        valid.eventCategory = try StoreRules.eventCategory(eventCategory)
        valid.eventType = try StoreRules.nonEmpty(eventType, field: "event_type")
        valid.payload = try StoreRules.metadata(payload, field: "payload")
        valid.turnID = try StoreRules.optionalUUID(turnID, field: "turn_id")
        return valid
    }
}

/// `agent_log_counts`: the agent whose log is counted.
public struct AgentLogCountsArguments: StoreArguments {
    public var agentID: String
    public init(agentID: String) { self.agentID = agentID }
    enum CodingKeys: String, CodingKey { case agentID = "agent_id" }
    public func validated() throws(PluginError) -> AgentLogCountsArguments {
        .init(agentID: try StoreRules.uuid(agentID, field: "agent_id"))
    }
}

/// `agent_logs`: the agent's rows after `since_seq`, oldest first.
public struct AgentLogsArguments: StoreArguments {
    public var agentID: String
    public var sinceSeq: Int64?
    public var limit: Int?
    public init(agentID: String, sinceSeq: Int64? = nil, limit: Int? = nil) {
        self.agentID = agentID
        self.sinceSeq = sinceSeq
        self.limit = limit
    }
    enum CodingKeys: String, CodingKey {
        case limit
        case agentID = "agent_id"
        case sinceSeq = "since_seq"
    }
    /// After validation `sinceSeq` and `limit` are always set.
    public func validated() throws(PluginError) -> AgentLogsArguments {
        .init(agentID: try StoreRules.uuid(agentID, field: "agent_id"), sinceSeq: max(0, sinceSeq ?? 0),
              limit: try StoreRules.agentLogLimit(limit))
    }
}
