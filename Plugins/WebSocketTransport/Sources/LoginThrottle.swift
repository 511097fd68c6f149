import Foundation
import NIOConcurrencyHelpers

/// Wrong tokens, counted per client address: after `limit` of them within `window` (counted
/// from the first), every request from that address that presents a token is answered 429
/// with `Retry-After` until the window ends, whether its token is right or not (otherwise
/// the answer would still tell a guesser which guess was right). Requests without a token
/// guess nothing and are not counted. At most `maxAddresses` addresses are remembered;
/// beyond that the oldest windows are forgotten first.
final class LoginThrottle: Sendable {
    let limit: Int
    let window: Duration
    let maxAddresses: Int

    private struct Entry {
        var start: ContinuousClock.Instant
        var failures: Int
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    init(limit: Int, window: Duration, maxAddresses: Int = 4096) {
        self.limit = limit
        self.window = window
        self.maxAddresses = maxAddresses
    }

    /// How long the address must wait, or nil when it may try.
    func retryAfter(_ address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        entries.withLockedValue { entries in
            guard let entry = entries[address], entry.failures >= limit else { return nil }
            let end = entry.start + window
            return now < end ? end - now : nil
        }
    }

    /// Counts a wrong token from the address.
    func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) {
        entries.withLockedValue { entries in
            if var entry = entries[address], now < entry.start + window {
                entry.failures += 1
                entries[address] = entry
                return
            }
            if entries.count >= maxAddresses {
                entries = entries.filter { now < $0.value.start + window }
                while entries.count >= maxAddresses, let oldest = entries.min(by: { $0.value.start < $1.value.start }) {
                    entries[oldest.key] = nil
                }
            }
            entries[address] = Entry(start: now, failures: 1)
        }
    }

    /// Whole seconds for `Retry-After`, rounded up, at least 1.
    static func seconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
