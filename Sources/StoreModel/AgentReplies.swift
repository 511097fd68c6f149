import PluginAPI

/// The JSON replies of the sub-agent operations (docs/protocol.md).

/// `insert_agent`, `get_agent`, `set_agent_status`, `update_agent_session`, `add_agent_usage`.
public struct AgentReply: JSONRecord, Sendable {
    public var agent: AgentRecord
    public init(agent: AgentRecord) { self.agent = agent }
    public static let fields: [JSONField<AgentReply>] = [.init("agent", \.agent)]
    public static let blank = AgentReply(agent: .blank)
    public static let jsonName = "reply"
}

/// `list_agents`: in creation order.
public struct AgentsReply: JSONRecord, Sendable {
    public var agents: [AgentRecord]
    public init(agents: [AgentRecord]) { self.agents = agents }
    public static let fields: [JSONField<AgentsReply>] = [.init("agents", \.agents)]
    public static let blank = AgentsReply(agents: [])
    public static let jsonName = "reply"
}

/// `insert_agent_log`: the new row's id and its place in the agent's log.
public struct InsertedAgentLog: Codable, Sendable, Equatable {
    public var id: String
    /// 1 for the agent's first row, then 2, 3, … without gaps.
    public var seq: Int64
    public init(id: String, seq: Int64) {
        self.id = id
        self.seq = seq
    }
}

/// `agent_logs`: one page of an agent's log, oldest first.
public struct AgentLogPage: JSONRecord, Sendable, Equatable {
    public var logs: [AgentLogRecord]
    /// More rows follow the last of `logs`: ask again with its `seq` as `since_seq`.
    public var hasMore: Bool
    /// The agent's newest `seq` (0 before its first row), whatever the page holds.
    public var lastSeq: Int64
    public init(logs: [AgentLogRecord], hasMore: Bool, lastSeq: Int64) {
        self.logs = logs
        self.hasMore = hasMore
        self.lastSeq = lastSeq
    }
    public static let fields: [JSONField<AgentLogPage>] = [
        .init("has_more", \.hasMore), .init("last_seq", \.lastSeq), .init("logs", \.logs),
    ]
    public static let blank = AgentLogPage(logs: [], hasMore: false, lastSeq: 0)
    public static let jsonName = "reply"
}
