import Logging
import PluginAPI

/// Hummingbird and NIO log through swift-log; this sends their lines to the host's log,
/// under this plugin's name, instead of the process's stdout.
struct HostLogHandler: LogHandler {
    let host: HostGate
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level: LogLevel = switch event.level {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
        host.log(level, "\(event.message)")
    }
}
