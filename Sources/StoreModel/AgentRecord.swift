import Foundation
import PluginAPI

/// A row of `agents`: a sub-agent an orchestrator created.
public struct AgentRecord: Codable, Sendable, Equatable {
    public var id: String
    public var orchestratorID: String
    public var name: String
    public var model: String
    public var systemPrompt: String?
    public var workingDir: String?
    public var status: String
    public var sessionID: String?
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var totalCost: Double
    public var archived: Bool
    public var metadata: JSONValue
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, orchestratorID: String, name: String, model: String, systemPrompt: String?,
                workingDir: String?, status: String, sessionID: String?, inputTokens: Int64, outputTokens: Int64,
                totalCost: Double, archived: Bool, metadata: JSONValue, createdAt: String, updatedAt: String) {
        self.id = id
        self.orchestratorID = orchestratorID
        self.name = name
        self.model = model
        self.systemPrompt = systemPrompt
        self.workingDir = workingDir
        self.status = status
        self.sessionID = sessionID
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalCost = totalCost
        self.archived = archived
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, model, status, archived, metadata
        case orchestratorID = "orchestrator_agent_id"
        case systemPrompt = "system_prompt"
        case workingDir = "working_dir"
        case sessionID = "session_id"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case totalCost = "total_cost"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(orchestratorID, forKey: .orchestratorID)
        try container.encode(name, forKey: .name)
        try container.encode(model, forKey: .model)
        try container.encode(systemPrompt, forKey: .systemPrompt)
        try container.encode(workingDir, forKey: .workingDir)
        try container.encode(status, forKey: .status)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(inputTokens, forKey: .inputTokens)
        try container.encode(outputTokens, forKey: .outputTokens)
        try container.encode(totalCost, forKey: .totalCost)
        try container.encode(archived, forKey: .archived)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
