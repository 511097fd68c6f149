import Foundation
import PluginAPI

/// A row of `orchestrator_agents`, as stores return it (docs/protocol.md, "Records").
public struct OrchestratorRecord: Codable, Sendable, Equatable {
    public var id: String
    public var sessionID: String?
    public var systemPrompt: String?
    /// One of `StoreRules.statuses`.
    public var status: String
    public var workingDir: String?
    public var inputTokens: Int64
    public var outputTokens: Int64
    /// US dollars; the store keeps the sum exact to 12 decimal places.
    public var totalCost: Double
    public var archived: Bool
    public var metadata: JSONValue
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, sessionID: String?, systemPrompt: String?, status: String, workingDir: String?,
                inputTokens: Int64, outputTokens: Int64, totalCost: Double, archived: Bool, metadata: JSONValue,
                createdAt: String, updatedAt: String) {
        self.id = id
        self.sessionID = sessionID
        self.systemPrompt = systemPrompt
        self.status = status
        self.workingDir = workingDir
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalCost = totalCost
        self.archived = archived
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, status, archived, metadata
        case sessionID = "session_id"
        case systemPrompt = "system_prompt"
        case workingDir = "working_dir"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case totalCost = "total_cost"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    // Optional fields are written as null rather than left out: the record's shape is fixed.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(systemPrompt, forKey: .systemPrompt)
        try container.encode(status, forKey: .status)
        try container.encode(workingDir, forKey: .workingDir)
        try container.encode(inputTokens, forKey: .inputTokens)
        try container.encode(outputTokens, forKey: .outputTokens)
        try container.encode(totalCost, forKey: .totalCost)
        try container.encode(archived, forKey: .archived)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
