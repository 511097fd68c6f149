import PluginAPI

/// Who sends or receives a chat message.
public enum Party: String, Codable, Sendable, CaseIterable {
    case user, orchestrator, agent

    // Decoding an unknown party is a rule violation (`invalid_sender`) naming the field, not a JSON error.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try StoreRules.party(text, field: decoder.codingPath.last?.stringValue ?? "sender_type")
    }
}
