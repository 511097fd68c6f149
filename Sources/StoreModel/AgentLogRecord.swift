import Foundation
import PluginAPI

/// A row of `agent_logs`: one hook event or response block of a sub-agent, numbered
/// by `seq` (1, 2, 3… per agent, without gaps), so a reader pages and resumes by it.
public struct AgentLogRecord: JSONRecord, Sendable, Equatable {
    public var id: String
    public var agentID: String
    public var seq: Int64
    /// The agent's turn the event belongs to, when the writer knew it.
    public var turnID: String?
    public var eventCategory: String
    public var eventType: String
    public var content: String?
    public var payload: JSONValue
    public var sessionID: String?
    public var timestamp: String

    public init(id: String, agentID: String, seq: Int64, turnID: String?, eventCategory: String, eventType: String,
                content: String?, payload: JSONValue, sessionID: String?, timestamp: String) {
        self.id = id
        self.agentID = agentID
        self.seq = seq
        self.turnID = turnID
        self.eventCategory = eventCategory
        self.eventType = eventType
        self.content = content
        self.payload = payload
        self.sessionID = sessionID
        self.timestamp = timestamp
    }
}

extension AgentLogRecord {
    public static let fields: [JSONField<AgentLogRecord>] = [
        .init("agent_id", \.agentID), .init("content", \.content), .init("event_category", \.eventCategory),
        .init("event_type", \.eventType), .init("id", \.id), .init("payload", \.payload), .init("seq", \.seq),
        .init("session_id", \.sessionID), .init("timestamp", \.timestamp), .init("turn_id", \.turnID),
    ]
    public static let blank = AgentLogRecord(
        id: "", agentID: "", seq: 0, turnID: nil, eventCategory: "", eventType: "", content: nil, payload: .null, sessionID: nil,
        timestamp: "")
    public static let jsonName = "agent log"
}
