import Foundation

/// RFC 3339 UTC timestamps with microseconds, as the stores write them.
public enum Timestamp {
    public static func now() -> String {
        after(.zero)
    }

    /// The time `duration` from now (an expiry).
    public static func after(_ duration: Duration) -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let (whole, attoseconds) = duration.components
        let nanoseconds = Int(time.tv_nsec) + Int(attoseconds / 1_000_000_000)
        time.tv_sec += Int(whole) + nanoseconds / 1_000_000_000
        time.tv_nsec = nanoseconds % 1_000_000_000
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(time.tv_nsec / 1000))
    }
}
