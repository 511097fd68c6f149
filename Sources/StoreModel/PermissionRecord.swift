import Foundation
import PluginAPI

/// Where a permission request stands. `pending` until it is decided once; the
/// other states are final.
public enum PermissionStatus: String, Sendable, CaseIterable, Codable, NamedJSONValue {
    case pending, allowed, denied
    /// Not answered before its `expires_at`, or left pending when the host stopped.
    case expired
    /// The session stopped asking (interrupted, stopped, or the CLI cancelled the request).
    case withdrawn

    public static let noun = "permission status"
}

/// Who or what decided a permission request (the audit log's "by").
public enum PermissionDecider: String, Sendable, CaseIterable, Codable, NamedJSONValue {
    /// Someone answered it in the console, the terminal or the API.
    case person
    /// A `[permissions] rules` entry or a grant ("allow for this agent") answered it without asking.
    case rule
    /// `permission_timeout` passed.
    case timeout
    /// The host withdrew or expired it (an interrupt, a stop, a restart).
    case host

    public static let noun = "permission decider"
}

/// A row of `permission_requests`: a tool the orchestrator or an agent wanted to use, outside
/// its allowed tools, and how that was decided. Inbox items are the pending rows; every row
/// is the audit log.
public struct PermissionRecord: JSONRecord, Sendable, Equatable {
    public var id: String
    public var orchestratorID: String
    /// The agent that asked; nil for the orchestrator itself.
    public var agentID: String?
    public var sessionID: String
    public var toolName: String
    public var input: JSONValue
    /// The CLI's `permission_suggestions` (what "always allow" would add), as it sent them.
    public var suggestions: JSONValue
    public var status: PermissionStatus
    /// How it was decided: `{scope?, message?, updated_input?, rule?}`; `{}` while pending.
    public var decision: JSONValue
    public var decidedBy: PermissionDecider?
    public var createdAt: String
    public var expiresAt: String?
    public var decidedAt: String?

    public init(id: String, orchestratorID: String, agentID: String?, sessionID: String, toolName: String, input: JSONValue,
                suggestions: JSONValue, status: PermissionStatus, decision: JSONValue, decidedBy: PermissionDecider?,
                createdAt: String, expiresAt: String?, decidedAt: String?) {
        self.id = id
        self.orchestratorID = orchestratorID
        self.agentID = agentID
        self.sessionID = sessionID
        self.toolName = toolName
        self.input = input
        self.suggestions = suggestions
        self.status = status
        self.decision = decision
        self.decidedBy = decidedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.decidedAt = decidedAt
    }
}

extension PermissionRecord {
    public static let fields: [JSONField<PermissionRecord>] = [
        .init("agent_id", \.agentID), .init("created_at", \.createdAt), .init("decided_at", \.decidedAt), .init("decided_by", \.decidedBy),
        .init("decision", \.decision), .init("expires_at", \.expiresAt), .init("id", \.id), .init("input", \.input),
        .init("orchestrator_agent_id", \.orchestratorID), .init("session_id", \.sessionID), .init("status", \.status),
        .init("suggestions", \.suggestions), .init("tool_name", \.toolName),
    ]
    public static let blank = PermissionRecord(
        id: "", orchestratorID: "", agentID: nil, sessionID: "", toolName: "", input: .null, suggestions: .null, status: .pending,
        decision: .null, decidedBy: nil, createdAt: "", expiresAt: nil, decidedAt: nil)
    public static let jsonName = "permission request"
}

/// `insert_permission_request`, `decide_permission_request`.
public struct PermissionReply: JSONRecord, Sendable {
    public var request: PermissionRecord
    public init(request: PermissionRecord) { self.request = request }
    public static let fields: [JSONField<PermissionReply>] = [.init("request", \.request)]
    public static let blank = PermissionReply(request: .blank)
    public static let jsonName = "reply"
}

/// `permission_requests` (newest first) and `expire_permission_requests`.
public struct PermissionsReply: JSONRecord, Sendable, Equatable {
    public var requests: [PermissionRecord]
    /// More rows match, older than the last of `requests`: ask again with its id as `before`.
    public var hasMore: Bool
    public init(requests: [PermissionRecord], hasMore: Bool) {
        self.requests = requests
        self.hasMore = hasMore
    }
    public static let fields: [JSONField<PermissionsReply>] = [.init("has_more", \.hasMore), .init("requests", \.requests)]
    public static let blank = PermissionsReply(requests: [], hasMore: false)
    public static let jsonName = "reply"
}
