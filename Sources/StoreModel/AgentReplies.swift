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

/// `agent_log_counts`: how many rows of each kind an agent's log holds, so a view that shows
/// only the newest page still has the agent's whole record (responses, tools, hooks, …).
public struct AgentLogCounts: JSONRecord, Sendable, Equatable {
    public struct Kind: JSONRecord, Sendable, Equatable {
        public var eventCategory: String
        public var eventType: String
        public var count: Int64
        public init(eventCategory: String, eventType: String, count: Int64) {
            self.eventCategory = eventCategory
            self.eventType = eventType
            self.count = count
        }
        public static let fields: [JSONField<Kind>] = [
            .init("count", \.count), .init("event_category", \.eventCategory), .init("event_type", \.eventType),
        ]
        public static let blank = Kind(eventCategory: "", eventType: "", count: 0)
        public static let jsonName = "log count"
    }

    /// Ordered by category, then type.
    public var kinds: [Kind]
    /// The agent's newest `seq` (0 before its first row).
    public var lastSeq: Int64
    public init(kinds: [Kind], lastSeq: Int64) {
        self.kinds = kinds
        self.lastSeq = lastSeq
    }
    public static let fields: [JSONField<AgentLogCounts>] = [.init("kinds", \.kinds), .init("last_seq", \.lastSeq)]
    public static let blank = AgentLogCounts(kinds: [], lastSeq: 0)
    public static let jsonName = "reply"

    /// The rows of one type (any category).
    public func count(ofType type: String) -> Int64 {
        kinds.reduce(0) { $0 + ($1.eventType == type ? $1.count : 0) }
    }

    /// The rows of one category.
    public func count(ofCategory category: String) -> Int64 {
        kinds.reduce(0) { $0 + ($1.eventCategory == category ? $1.count : 0) }
    }
}
