import PluginAPI

/// Where a sub-agent is in its life (docs/protocol.md, "Records"): the one list
/// both stores' CHECK constraints, the rules and the error texts follow.
public enum AgentStatus: String, Sendable, CaseIterable, Codable {
    /// Created; its backend session is being started.
    case starting
    /// Ready for a command.
    case idle
    /// A command's turn is running.
    case running
    /// A command waits behind the running one.
    case queued
    /// The agent asked a question only its orchestrator (or the user) can answer.
    case needsInput = "needs_input"
    /// A turn was cut off (an interrupt, a host restart); `status_reason` says which.
    case interrupted
    /// A turn ended in an error the agent cannot go on from; `status_reason` says which.
    case failed
    /// Stopped on purpose (by the user, a budget, a turn limit); `status_reason` says why.
    case stopped
    /// Deleted: kept for its history, its name free for a new agent.
    case archived

    /// "starting, idle, …": what error texts list.
    public static let allowed = allCases.map(\.rawValue).joined(separator: ", ")

    // Decoding an unknown status is a rule violation (`invalid_status`), not a JSON error.
    public init(from decoder: any Decoder) throws {
        self = try StoreRules.agentStatus(try decoder.singleValueContainer().decode(String.self))
    }
}

extension AgentStatus: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.string(rawValue) }
    public static func read(from reader: inout JSONReader) throws -> AgentStatus {
        let text = try reader.string()
        guard let status = AgentStatus(rawValue: text) else {
            throw JSONReader.Failure(description: "\"\(text)\" is not an agent status (\(allowed))")
        }
        return status
    }
}
