import Foundation
import PluginAPI

/// A row of `orchestrator_agents`, as stores return it (docs/protocol.md, "Records").
public struct OrchestratorRecord: JSONRecord, Sendable, Equatable {
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
}

extension OrchestratorRecord {
    // Optional fields are written as null rather than left out: the record's shape is fixed.
    public static let fields: [JSONField<OrchestratorRecord>] = [
        .init("archived", \.archived), .init("created_at", \.createdAt), .init("id", \.id), .init("input_tokens", \.inputTokens),
        .init("metadata", \.metadata), .init("output_tokens", \.outputTokens), .init("session_id", \.sessionID),
        .init("status", \.status), .init("system_prompt", \.systemPrompt), .init("total_cost", \.totalCost),
        .init("updated_at", \.updatedAt), .init("working_dir", \.workingDir),
    ]
    public static let blank = OrchestratorRecord(
        id: "", sessionID: nil, systemPrompt: nil, status: "", workingDir: nil, inputTokens: 0, outputTokens: 0,
        totalCost: 0, archived: false, metadata: .null, createdAt: "", updatedAt: "")
    public static let jsonName = "orchestrator"
}
