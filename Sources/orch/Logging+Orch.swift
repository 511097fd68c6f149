import Foundation
import Logging

extension Logging {
    /// Logs go to stderr, so stdout stays for the launch summary and replies.
    static func bootstrapOrch(level: String) -> Logger {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
        return Logger(label: "orch")
    }
}

enum Logging {}
