import PluginAPI

/// The JSON arguments of the store operations (docs/protocol.md). Each type
/// is encoded by `StoreAPI` and decoded then `validated()` by `StoreOperations`,
/// so the JSON mapping and the checks live here only.
public protocol StoreArguments: Codable, Sendable {
    /// The same arguments with ids canonical and every rule of `StoreRules` checked.
    func validated() throws(PluginError) -> Self
}

public struct NoArguments: StoreArguments {
    public init() {}
    public func validated() -> NoArguments { self }
}

/// `get_or_create_orchestrator` and `create_orchestrator`.
public struct NewOrchestrator: StoreArguments, Equatable {
    public var systemPrompt: String?
    public var workingDir: String?
    public var metadata: JSONValue?

    public init(systemPrompt: String? = nil, workingDir: String? = nil, metadata: JSONValue? = nil) {
        self.systemPrompt = systemPrompt
        self.workingDir = workingDir
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case metadata
        case systemPrompt = "system_prompt"
        case workingDir = "working_dir"
    }

    public func validated() throws(PluginError) -> NewOrchestrator {
        var valid = self
        valid.metadata = try StoreRules.metadata(metadata)
        return valid
    }
}

/// `get_orchestrator`, `delete_orchestrator`.
public struct IDArguments: StoreArguments {
    public var id: String
    public init(id: String) { self.id = id }
    public func validated() throws(PluginError) -> IDArguments { .init(id: try StoreRules.uuid(id, field: "id")) }
}

/// `get_orchestrator_by_session`.
public struct SessionArguments: StoreArguments {
    public var sessionID: String
    public init(sessionID: String) { self.sessionID = sessionID }
    enum CodingKeys: String, CodingKey { case sessionID = "session_id" }
    public func validated() throws(PluginError) -> SessionArguments {
        .init(sessionID: try StoreRules.nonEmpty(sessionID, field: "session_id"))
    }
}

/// `turn_count`, `explain_chat_history`.
public struct OrchestratorArguments: StoreArguments {
    public var orchestratorID: String
    public init(orchestratorID: String) { self.orchestratorID = orchestratorID }
    enum CodingKeys: String, CodingKey { case orchestratorID = "orchestrator_agent_id" }
    public func validated() throws(PluginError) -> OrchestratorArguments {
        .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"))
    }
}

/// `update_session`.
public struct UpdateSessionArguments: StoreArguments {
    public var orchestratorID: String
    public var sessionID: String
    public init(orchestratorID: String, sessionID: String) {
        self.orchestratorID = orchestratorID
        self.sessionID = sessionID
    }
    enum CodingKeys: String, CodingKey {
        case orchestratorID = "orchestrator_agent_id"
        case sessionID = "session_id"
    }
    public func validated() throws(PluginError) -> UpdateSessionArguments {
        .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"),
              sessionID: try StoreRules.nonEmpty(sessionID, field: "session_id"))
    }
}

/// `set_status`: the orchestrator's state, and what the state is about (`detail`, an
/// object kept as the record's `metadata.status_detail`; null or absent removes it).
public struct SetStatusArguments: StoreArguments {
    public var orchestratorID: String
    public var status: String
    public var detail: JSONValue?
    public init(orchestratorID: String, status: String, detail: JSONValue? = nil) {
        self.orchestratorID = orchestratorID
        self.status = status
        self.detail = detail
    }
    enum CodingKeys: String, CodingKey {
        case status, detail
        case orchestratorID = "orchestrator_agent_id"
    }
    public func validated() throws(PluginError) -> SetStatusArguments {
        let detail: JSONValue? = switch detail {
        case nil, .null?: nil
        default: try StoreRules.metadata(detail, field: "detail")
        }
        return .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"),
                     status: try StoreRules.status(status), detail: detail)
    }
}

/// `add_usage`: one turn's tokens and cost, added to the running totals.
public struct AddUsageArguments: StoreArguments {
    public var orchestratorID: String
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var costUSD: Double
    public init(orchestratorID: String, inputTokens: Int64, outputTokens: Int64, costUSD: Double) {
        self.orchestratorID = orchestratorID
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
    }
    enum CodingKeys: String, CodingKey {
        case orchestratorID = "orchestrator_agent_id"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case costUSD = "cost_usd"
    }
    public func validated() throws(PluginError) -> AddUsageArguments {
        _ = try StoreRules.cost(costUSD)
        return .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"),
                     inputTokens: try StoreRules.tokens(inputTokens, field: "input_tokens"),
                     outputTokens: try StoreRules.tokens(outputTokens, field: "output_tokens"), costUSD: costUSD)
    }
    /// The cost exactly, once validated.
    public var cost: PicoDollars { PicoDollars(dollars: costUSD) ?? .zero }
}

/// `chat_history`.
public struct ChatHistoryArguments: StoreArguments {
    public var orchestratorID: String
    public var limit: Int?
    public var before: String?
    public init(orchestratorID: String, limit: Int? = nil, before: String? = nil) {
        self.orchestratorID = orchestratorID
        self.limit = limit
        self.before = before
    }
    enum CodingKeys: String, CodingKey {
        case limit, before
        case orchestratorID = "orchestrator_agent_id"
    }
    /// After validation `limit` is always set.
    public func validated() throws(PluginError) -> ChatHistoryArguments {
        .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"),
              limit: try StoreRules.historyLimit(limit), before: try StoreRules.optionalUUID(before, field: "before"))
    }
}

/// `move_chat_to_end`.
public struct MoveChatArguments: StoreArguments {
    public var orchestratorID: String
    public var id: String
    public init(orchestratorID: String, id: String) {
        self.orchestratorID = orchestratorID
        self.id = id
    }
    enum CodingKeys: String, CodingKey {
        case id
        case orchestratorID = "orchestrator_agent_id"
    }
    public func validated() throws(PluginError) -> MoveChatArguments {
        .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"), id: try StoreRules.uuid(id, field: "id"))
    }
}

/// `insert_system_log`.
public struct NewSystemLog: StoreArguments, Equatable {
    public var level: String
    public var message: String
    public var metadata: JSONValue?
    public var filePath: String?
    public init(level: String, message: String, metadata: JSONValue? = nil, filePath: String? = nil) {
        self.level = level
        self.message = message
        self.metadata = metadata
        self.filePath = filePath
    }
    enum CodingKeys: String, CodingKey {
        case level, message, metadata
        case filePath = "file_path"
    }
    public func validated() throws(PluginError) -> NewSystemLog {
        var valid = self
        valid.level = try StoreRules.level(level)
        valid.metadata = try StoreRules.metadata(metadata)
        return valid
    }
}

/// `read_system_logs`: a page of system logs, newest first, narrowed by every filter given.
public struct ReadSystemLogsArguments: StoreArguments, Equatable {
    public var offset: Int?
    public var limit: Int?
    /// A case-insensitive substring of the message, matched literally (`%`, `_` and `\` are no wildcards).
    public var contains: String?
    /// That level only.
    public var level: String?
    /// Only rows whose `metadata.turn_id` is one of these (at most `StoreRules.maxTurnIDs`); empty matches no row.
    public var turnIDs: [String]?
    /// Only rows whose `metadata.orchestrator_agent_id` is this.
    public var orchestratorID: String?
    public init(offset: Int? = nil, limit: Int? = nil, contains: String? = nil, level: String? = nil, turnIDs: [String]? = nil,
                orchestratorID: String? = nil) {
        self.offset = offset
        self.limit = limit
        self.contains = contains
        self.level = level
        self.turnIDs = turnIDs
        self.orchestratorID = orchestratorID
    }
    enum CodingKeys: String, CodingKey {
        case offset, limit, contains, level
        case turnIDs = "turn_ids"
        case orchestratorID = "orchestrator_agent_id"
    }
    /// After validation `offset` and `limit` are always set, and ids are canonical.
    public func validated() throws(PluginError) -> ReadSystemLogsArguments {
        var valid = self
        valid.offset = try StoreRules.offset(offset)
        valid.limit = try StoreRules.systemLogLimit(limit)
        if let level { valid.level = try StoreRules.level(level) }
        if let turnIDs { valid.turnIDs = try StoreRules.turnIDs(turnIDs) }
        valid.orchestratorID = try StoreRules.optionalUUID(orchestratorID, field: "orchestrator_agent_id")
        return valid
    }
    /// `contains` as a `LIKE … ESCAPE '\'` pattern: its wildcards and the escape character taken literally.
    public var containsPattern: String? {
        guard let contains else { return nil }
        var pattern = "%"
        for scalar in contains.unicodeScalars {
            if scalar == "%" || scalar == "_" || scalar == "\\" { pattern.unicodeScalars.append("\\") }
            pattern.unicodeScalars.append(scalar)
        }
        return pattern + "%"
    }
}

/// `delete_system_logs`.
public struct DeleteSystemLogsArguments: StoreArguments {
    public var ids: [String]
    public init(ids: [String]) { self.ids = ids }
    public func validated() throws(PluginError) -> DeleteSystemLogsArguments {
        var valid: [String] = []
        for (index, id) in ids.enumerated() { valid.append(try StoreRules.uuid(id, field: "ids[\(index)]")) }
        return .init(ids: valid)
    }
}

/// `bulk_insert_chat`: seeds `count` alternating user/orchestrator messages (benchmarks).
public struct BulkInsertChatArguments: StoreArguments {
    public var orchestratorID: String
    public var count: Int
    public init(orchestratorID: String, count: Int) {
        self.orchestratorID = orchestratorID
        self.count = count
    }
    enum CodingKeys: String, CodingKey {
        case count
        case orchestratorID = "orchestrator_agent_id"
    }
    public func validated() throws(PluginError) -> BulkInsertChatArguments {
        .init(orchestratorID: try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id"),
              count: try StoreRules.bulkCount(count))
    }
}
