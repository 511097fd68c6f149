import Foundation
import PluginAPI

/// A row of `agents`: a sub-agent an orchestrator created.
public struct AgentRecord: JSONRecord, Sendable, Equatable {
    public var id: String
    public var orchestratorID: String
    public var name: String
    public var model: String
    public var systemPrompt: String?
    public var workingDir: String?
    public var status: AgentStatus
    /// Why the agent is in its status (`budget_exceeded`, `max_turns`, `cli_exited`, `host_restarted`,
    /// `stopped_by_user`, …); nil while it is starting, idle or running.
    public var statusReason: String?
    public var sessionID: String?
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var totalCost: Double
    /// Set once the agent is deleted (status `archived`); its name may then be reused.
    public var archived: Bool
    public var metadata: JSONValue
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, orchestratorID: String, name: String, model: String, systemPrompt: String?,
                workingDir: String?, status: AgentStatus, statusReason: String? = nil, sessionID: String?, inputTokens: Int64,
                outputTokens: Int64, totalCost: Double, archived: Bool, metadata: JSONValue, createdAt: String, updatedAt: String) {
        self.id = id
        self.orchestratorID = orchestratorID
        self.name = name
        self.model = model
        self.systemPrompt = systemPrompt
        self.workingDir = workingDir
        self.status = status
        self.statusReason = statusReason
        self.sessionID = sessionID
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalCost = totalCost
        self.archived = archived
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension AgentRecord {
    public static let fields: [JSONField<AgentRecord>] = [
        .init("archived", \.archived), .init("created_at", \.createdAt), .init("id", \.id), .init("input_tokens", \.inputTokens),
        .init("metadata", \.metadata), .init("model", \.model), .init("name", \.name), .init("orchestrator_agent_id", \.orchestratorID),
        .init("output_tokens", \.outputTokens), .init("session_id", \.sessionID), .init("status", \.status),
        .init("status_reason", \.statusReason), .init("system_prompt", \.systemPrompt), .init("total_cost", \.totalCost),
        .init("updated_at", \.updatedAt), .init("working_dir", \.workingDir),
    ]
    public static let blank = AgentRecord(
        id: "", orchestratorID: "", name: "", model: "", systemPrompt: nil, workingDir: nil, status: .idle, statusReason: nil,
        sessionID: nil, inputTokens: 0, outputTokens: 0, totalCost: 0, archived: false, metadata: .null, createdAt: "", updatedAt: "")
    public static let jsonName = "agent"
}
