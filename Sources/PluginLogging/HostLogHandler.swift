import Logging
import PluginAPI

/// Sends a plugin's swift-log lines (its own, Hummingbird's, NIO's) to the host's log,
/// under the plugin's name, instead of the process's stdout. Dropped once the host is closed.
public struct HostLogHandler: LogHandler {
    public let host: GuardedHost
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    public init(host: GuardedHost, logLevel: Logger.Level = .info) {
        self.host = host
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        host.log(LogLevel(event.level), "\(event.message)")
    }
}
