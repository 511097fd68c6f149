import Foundation

/// Timestamps for rows, in the format docs/protocol.md specifies
/// (`2026-11-26T02:13:59.123456Z`), strictly increasing within the process so
/// that two rows never share one, however fast they are written.
enum MicrosecondClock {
    static func next() -> String { format(clock.next()) }

    private static let clock = Clock()

    private final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var last: Int64 = 0

        func next() -> Int64 {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let micros = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
            return lock.withLock {
                last = max(micros, last + 1)
                return last
            }
        }
    }

    static func format(_ micros: Int64) -> String {
        var seconds = time_t(micros / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(Int(micros % 1_000_000), 6))Z"
    }
}
