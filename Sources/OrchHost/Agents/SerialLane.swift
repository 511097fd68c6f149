import Synchronization

/// Jobs run one at a time in the order they were handed in: an agent's status writes go
/// through one lane, so a `queued` asked for just before the agent started cannot land
/// after its `running`.
final class SerialLane: Sendable {
    private let tail = Mutex<Task<Void, Never>?>(nil)

    func run(_ job: @escaping @Sendable () async -> Void) async {
        let task = tail.withLock { previous in
            let next = Task { [previous] in
                await previous?.value
                await job()
            }
            previous = next
            return next
        }
        await task.value
    }
}
