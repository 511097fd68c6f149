import Foundation
import PluginAPI

/// A row of `orchestrator_chat`, as stores return it (docs/protocol.md, "Records").
public struct ChatMessageRecord: JSONRecord, Sendable, Equatable {
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
}

extension ChatMessageRecord {
    public static let fields: [JSONField<ChatMessageRecord>] = [
        .init("agent_id", \.agentID), .init("created_at", \.createdAt), .init("id", \.id), .init("message", \.message),
        .init("metadata", \.metadata), .init("orchestrator_agent_id", \.orchestratorID), .init("receiver_type", \.receiver),
        .init("sender_type", \.sender), .init("updated_at", \.updatedAt),
    ]
    public static let blank = ChatMessageRecord(
        id: "", orchestratorID: "", sender: .user, receiver: .user, message: "", agentID: nil, metadata: .null, createdAt: "", updatedAt: "")
    public static let jsonName = "chat message"
}
