import Synchronization

/// How long the host holds each agent event on the backend's thread (the recorder's
/// `handle`): the figure `orch-bench agents` reports as host overhead per agent event.
/// Keeps the most recent samples only, so it costs a fixed amount of memory.
public final class HoldTimes: Sendable {
    private let samples = Mutex<(values: [UInt64], next: Int)>(([], 0))
    private let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    func record(_ duration: Duration) {
        let nanoseconds = UInt64(max(0, duration.components.seconds)) * 1_000_000_000 + UInt64(max(0, duration.components.attoseconds / 1_000_000_000))
        samples.withLock { state in
            if state.values.count < capacity { state.values.append(nanoseconds) } else { state.values[state.next] = nanoseconds }
            state.next = (state.next + 1) % capacity
        }
    }

    /// The recorded holds in nanoseconds, in no particular order.
    public var nanoseconds: [UInt64] { samples.withLock { $0.values } }
}
