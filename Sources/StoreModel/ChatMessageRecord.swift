import Foundation
import PluginAPI

/// A row of `orchestrator_chat`, as stores return it (docs/protocol.md, "Records").
public struct ChatMessageRecord: Codable, Sendable, Equatable {
    public var id: String
    public var orchestratorID: String
    public var sender: Party
    public var receiver: Party
    public var message: String
    /// Set exactly when the sender or the receiver is `.agent`.
    public var agentID: String?
    public var metadata: JSONValue
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, orchestratorID: String, sender: Party, receiver: Party, message: String,
                agentID: String?, metadata: JSONValue, createdAt: String, updatedAt: String) {
        self.id = id
        self.orchestratorID = orchestratorID
        self.sender = sender
        self.receiver = receiver
        self.message = message
        self.agentID = agentID
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, message, metadata
        case orchestratorID = "orchestrator_agent_id"
        case sender = "sender_type"
        case receiver = "receiver_type"
        case agentID = "agent_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(orchestratorID, forKey: .orchestratorID)
        try container.encode(sender, forKey: .sender)
        try container.encode(receiver, forKey: .receiver)
        try container.encode(message, forKey: .message)
        try container.encode(agentID, forKey: .agentID)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
