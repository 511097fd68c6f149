import Foundation
import Logging

/// The process's descriptor limit (`RLIMIT_NOFILE`). Distributions start processes with a
/// soft limit of 1024 and a far higher hard one; every socket a transport accepts is a
/// descriptor, so the host raises the soft limit to the hard one before any plugin
/// starts (transports size their connection caps from it), and logs both.
public enum DescriptorLimit {
    public static func raiseSoftToHard(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            logger.warning("cannot read the descriptor limit: \(String(cString: strerror(errno)))")
            return
        }
        let soft = limit.rlim_cur
        if soft < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 {
                logger.warning("cannot raise the descriptor limit from \(describe(soft)) to \(describe(limit.rlim_max)): \(String(cString: strerror(errno)))")
                return
            }
        }
        logger.info("descriptor limit: soft \(describe(limit.rlim_cur)) (was \(describe(soft))), hard \(describe(limit.rlim_max))")
    }

    /// The soft limit now (Int.max when unlimited), or nil if it cannot be read.
    public static var soft: Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    private static func describe(_ value: rlim_t) -> String { value == rlim_t.max ? "unlimited" : String(value) }
}
