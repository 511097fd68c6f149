import PluginAPI

/// The arguments of `insert_chat`: one message to append to an orchestrator's chat.
public struct NewChatMessage: Codable, Sendable, Equatable {
    public var orchestratorID: String
    public var sender: Party
    public var receiver: Party
    public var message: String
    /// Required exactly when the sender or the receiver is `.agent`.
    public var agentID: String?
    /// A JSON object; absent means `{}`.
    public var metadata: JSONValue?
    /// The message's id when the caller chose it already (e.g. to stream under it); else the store picks one.
    public var id: String?

    public init(orchestratorID: String, sender: Party, receiver: Party, message: String,
                agentID: String? = nil, metadata: JSONValue? = nil, id: String? = nil) {
        self.orchestratorID = orchestratorID
        self.sender = sender
        self.receiver = receiver
        self.message = message
        self.agentID = agentID
        self.metadata = metadata
        self.id = id
    }

    enum CodingKeys: String, CodingKey {
        case message, metadata, id
        case orchestratorID = "orchestrator_agent_id"
        case sender = "sender_type"
        case receiver = "receiver_type"
        case agentID = "agent_id"
    }
}

extension NewChatMessage: StoreArguments {
    public func validated() throws(PluginError) -> NewChatMessage {
        var valid = self
        valid.orchestratorID = try StoreRules.uuid(orchestratorID, field: "orchestrator_agent_id")
        valid.agentID = try StoreRules.optionalUUID(agentID, field: "agent_id")
        valid.id = try StoreRules.optionalUUID(id, field: "id")
        valid.metadata = try StoreRules.metadata(metadata)
        try StoreRules.checkAgent(sender: sender, receiver: receiver, agentID: valid.agentID)
        return valid
    }
}
