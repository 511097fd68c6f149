import PluginAPI

/// The JSON replies of the store operations (docs/protocol.md).

/// `health`.
public struct StoreHealth: Codable, Sendable, Equatable {
    public var ok: Bool
    /// The plugin's name, e.g. "SQLiteStore".
    public var store: String
    /// The newest migration applied to the database.
    public var schemaVersion: Int
    /// How many migrations this instance applied when it started (0 when the schema was current).
    public var migrationsApplied: Int

    public init(ok: Bool, store: String, schemaVersion: Int, migrationsApplied: Int) {
        self.ok = ok
        self.store = store
        self.schemaVersion = schemaVersion
        self.migrationsApplied = migrationsApplied
    }

    enum CodingKeys: String, CodingKey {
        case ok, store
        case schemaVersion = "schema_version"
        case migrationsApplied = "migrations_applied"
    }
}

public struct OrchestratorReply: JSONRecord, Sendable {
    public var orchestrator: OrchestratorRecord
    /// Only in the reply of `get_or_create_orchestrator`.
    public var created: Bool?
    public init(orchestrator: OrchestratorRecord, created: Bool?) {
        self.orchestrator = orchestrator
        self.created = created
    }
    public static let fields: [JSONField<OrchestratorReply>] = [.init("created", omittedWhenNil: \.created), .init("orchestrator", \.orchestrator)]
    public static let blank = OrchestratorReply(orchestrator: .blank, created: nil)
    public static let jsonName = "reply"
}

public struct ChatMessageReply: JSONRecord, Sendable {
    public var message: ChatMessageRecord
    public init(message: ChatMessageRecord) { self.message = message }
    public static let fields: [JSONField<ChatMessageReply>] = [.init("message", \.message)]
    public static let blank = ChatMessageReply(message: .blank)
    public static let jsonName = "reply"
}

public struct ChatHistoryReply: JSONRecord, Sendable {
    public var messages: [ChatMessageRecord]
    public var hasMore: Bool
    public init(messages: [ChatMessageRecord], hasMore: Bool) {
        self.messages = messages
        self.hasMore = hasMore
    }
    public static let fields: [JSONField<ChatHistoryReply>] = [.init("has_more", \.hasMore), .init("messages", \.messages)]
    public static let blank = ChatHistoryReply(messages: [], hasMore: false)
    public static let jsonName = "reply"
}

/// `read_system_logs`: one page of system logs, newest first.
public struct SystemLogsReply: JSONRecord, Sendable, Equatable {
    public var logs: [SystemLogRecord]
    /// More rows match past this page: ask again with `offset` + `limit`.
    public var hasMore: Bool
    public init(logs: [SystemLogRecord], hasMore: Bool) {
        self.logs = logs
        self.hasMore = hasMore
    }
    public static let fields: [JSONField<SystemLogsReply>] = [.init("has_more", \.hasMore), .init("logs", \.logs)]
    public static let blank = SystemLogsReply(logs: [], hasMore: false)
    public static let jsonName = "reply"
}

public struct TurnCountReply: Codable, Sendable {
    public var turnCount: Int
    enum CodingKeys: String, CodingKey { case turnCount = "turn_count" }
}

public struct MovedReply: Codable, Sendable {
    public var moved: Bool
}

public struct IDReply: Codable, Sendable {
    public var id: String
}

public struct DeletedReply<Count: Codable & Sendable>: Codable, Sendable {
    public var deleted: Count
}

public struct RowCountsReply: Codable, Sendable {
    public var tables: [String: Int]
}

public struct InsertedReply: Codable, Sendable {
    public var inserted: Int
}

public struct PlanReply: Codable, Sendable {
    public var plan: String
}
