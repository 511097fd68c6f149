import Foundation
import PluginAPI

/// A row of `system_logs`: the orchestrator's thinking and tool-use blocks (their
/// `metadata.turn_id` names the turn) and other log lines, read back by `read_system_logs`.
public struct SystemLogRecord: JSONRecord, Sendable, Equatable {
    public var id: String
    /// DEBUG, INFO, WARNING or ERROR.
    public var level: String
    public var message: String
    public var metadata: JSONValue
    public var filePath: String?
    public var timestamp: String

    public init(id: String, level: String, message: String, metadata: JSONValue, filePath: String?, timestamp: String) {
        self.id = id
        self.level = level
        self.message = message
        self.metadata = metadata
        self.filePath = filePath
        self.timestamp = timestamp
    }
}

extension SystemLogRecord {
    public static let fields: [JSONField<SystemLogRecord>] = [
        .init("file_path", \.filePath), .init("id", \.id), .init("level", \.level), .init("message", \.message),
        .init("metadata", \.metadata), .init("timestamp", \.timestamp),
    ]
    public static let blank = SystemLogRecord(id: "", level: "", message: "", metadata: .null, filePath: nil, timestamp: "")
    public static let jsonName = "system log"
}
