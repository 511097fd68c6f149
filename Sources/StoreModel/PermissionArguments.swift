import PluginAPI

/// The JSON arguments of the permission operations (docs/protocol.md), decoded and
/// `validated()` by `StoreOperations` like every other `StoreArguments`.

/// `insert_permission_request`: pending (someone will be asked), or already decided by a rule.
public struct NewPermissionRequest: StoreArguments, Equatable {
    public var orchestratorID: String
    public var agentID: String?
    public var sessionID: String
    public var toolName: String
    public var input: JSONValue?
    public var suggestions: JSONValue?
    public var expiresAt: String?
    /// Absent means `pending`; a rule's answer is `allowed` or `denied` with `decided_by: "rule"`.
    public var status: String?
    public var decidedBy: String?
    public var decision: JSONValue?
    public init(orchestratorID: String, agentID: String?, sessionID: String, toolName: String, input: JSONValue?, suggestions: JSONValue? = nil,
                expiresAt: String? = nil, status: String? = nil, decidedBy: String? = nil, decision: JSONValue? = nil) {
        self.orchestratorID = orchestratorID
        self.agentID = agentID
        self.sessionID = sessionID
        self.toolName = toolName
        self.input = input
        self.suggestions = suggestions
        self.expiresAt = expiresAt
        self.status = status
        self.decidedBy = decidedBy
        self.decision = decision
    }
    enum CodingKeys: String, CodingKey {
        case input, suggestions, status, decision
        case orchestratorID = "orchestrator_agent_id"
        case agentID = "agent_id"
        case sessionID = "session_id"
        case toolName = "tool_name"
        case expiresAt = "expires_at"
        case decidedBy = "decided_by"
    }
    /// After validation `input`, `suggestions`, `status` and `decision` are set, and `decidedBy` is set exactly when decided.
    public func validated() throws(PluginError) -> NewPermissionRequest {
        var valid = self
        valid.orchestratorID = try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id")
        valid.agentID = try StoreRules.optionalUUID(agentID, field: "agent_id")
        valid.sessionID = try StoreRules.nonEmpty(sessionID, field: "session_id")
        valid.toolName = try StoreRules.nonEmpty(toolName, field: "tool_name")
        valid.input = try StoreRules.metadata(input, field: "input")
        valid.suggestions = suggestions ?? .array([])
        guard case .array? = valid.suggestions else {
            throw .invalid("invalid_suggestions", "\"suggestions\" must be a JSON array (the CLI's permission_suggestions); got \(suggestions?.typeName ?? "nothing")")
        }
        valid.expiresAt = try expiresAt.map { timestamp throws(PluginError) in try StoreRules.timestamp(timestamp, field: "expires_at") }
        let status = try StoreRules.permissionStatus(status ?? PermissionStatus.pending.rawValue)
        valid.status = status.rawValue
        if status == .pending {
            guard decidedBy == nil else { throw .invalid("invalid_decided_by", "a pending request has no \"decided_by\"; leave it out, or give the decided status") }
        } else {
            valid.decidedBy = try StoreRules.permissionDecider(decidedBy, for: status).rawValue
        }
        valid.decision = try StoreRules.metadata(decision, field: "decision")
        return valid
    }
}

/// `decide_permission_request`: decides a pending request, once. A request decided before is a
/// `permission_decided` conflict that names how it was decided.
public struct DecidePermissionArguments: StoreArguments {
    public var id: String
    public var status: String
    public var decidedBy: String
    public var decision: JSONValue?
    public init(id: String, status: PermissionStatus, decidedBy: PermissionDecider, decision: JSONValue? = nil) {
        self.id = id
        self.status = status.rawValue
        self.decidedBy = decidedBy.rawValue
        self.decision = decision
    }
    enum CodingKeys: String, CodingKey {
        case id, status, decision
        case decidedBy = "decided_by"
    }
    public func validated() throws(PluginError) -> DecidePermissionArguments {
        var valid = self
        valid.id = try StoreRules.uuid(id, field: "id")
        let status = try StoreRules.permissionStatus(status)
        guard status != .pending else {
            throw .invalid("invalid_status", "a request is decided as allowed, denied, expired or withdrawn, never back to pending")
        }
        valid.decidedBy = try StoreRules.permissionDecider(decidedBy, for: status).rawValue
        valid.decision = try StoreRules.metadata(decision, field: "decision")
        return valid
    }
}

/// `permission_requests`: newest first; `status: "pending"` is the inbox.
public struct PermissionRequestsArguments: StoreArguments {
    public var orchestratorID: String
    public var status: String?
    public var agentID: String?
    /// A request id: only older requests.
    public var before: String?
    public var limit: Int?
    public init(orchestratorID: String, status: PermissionStatus? = nil, agentID: String? = nil, before: String? = nil, limit: Int? = nil) {
        self.orchestratorID = orchestratorID
        self.status = status?.rawValue
        self.agentID = agentID
        self.before = before
        self.limit = limit
    }
    enum CodingKeys: String, CodingKey {
        case status, before, limit
        case orchestratorID = "orchestrator_agent_id"
        case agentID = "agent_id"
    }
    /// After validation `limit` is always set.
    public func validated() throws(PluginError) -> PermissionRequestsArguments {
        var valid = self
        valid.orchestratorID = try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id")
        valid.status = try status.map { text throws(PluginError) in try StoreRules.permissionStatus(text).rawValue }
        valid.agentID = try StoreRules.optionalUUID(agentID, field: "agent_id")
        valid.before = try StoreRules.optionalUUID(before, field: "before")
        valid.limit = try StoreRules.permissionLimit(limit)
        return valid
    }
}
