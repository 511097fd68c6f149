import Logging
import PluginAPI

// The ABI's log levels (`ORCH_LOG_*`) and swift-log's are the same seven, in the same
// order; this is the one place that says which is which, for plugins and the host.

extension Logger.Level {
    public init(_ level: LogLevel) {
        self = switch level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}

extension LogLevel {
    /// The inverse of `Logger.Level(_:)`, read from it so the pairing is written once.
    public init(_ level: Logger.Level) {
        self = LogLevel.allCases.first { Logger.Level($0) == level } ?? .critical
    }
}
