import Foundation
import Logging
import PluginAPI

/// Writes to the store in order, off the streaming path, and keeps retrying
/// while the store is unavailable, so a reply delivered live is saved once the
/// store is back instead of being lost. A job that fails for a non-retryable
/// reason is reported and dropped: retrying it could never succeed.
final class Outbox: @unchecked Sendable {
    typealias Job = @Sendable () async throws -> Void

    private let logger: Logger
    private let onOutage: @Sendable (PluginError) -> Void
    private let continuation: AsyncStream<(String, Job)>.Continuation
    private var worker: Task<Void, Never>?
    private let lock = NSLock()
    private var enqueued = 0
    private var completed = 0
    /// Flushes waiting for a count of completed jobs; `patient` ones are not released by an outage.
    private var waiters: [(target: Int, patient: Bool, done: @Sendable (Bool) -> Void)] = []
    /// A write is being retried because the store is unavailable.
    private var failing = false

    init(logger: Logger, onOutage: @escaping @Sendable (PluginError) -> Void) {
        self.logger = logger
        self.onOutage = onOutage
        let (stream, continuation) = AsyncStream<(String, Job)>.makeStream()
        self.continuation = continuation
        worker = Task { [weak self] in
            for await (label, job) in stream {
                await self?.perform(label, job)
            }
        }
    }

    /// Queues a write; `label` names it in logs.
    func enqueue(_ label: String, _ job: @escaping Job) {
        lock.withLock { enqueued += 1 }
        continuation.yield((label, job))
    }

    private func perform(_ label: String, _ job: Job) async {
        var delay = Duration.milliseconds(100)
        var reported = false
        while true {
            do {
                try await job()
                if reported { logger.notice("store is back: \(label) saved") }
                break
            } catch {
                let failure = PluginError(error)
                guard failure.retryable, !Task.isCancelled else {
                    logger.error("could not save \(label): \(failure)")
                    onOutage(failure)
                    break
                }
                if !reported {
                    reported = true
                    // Nobody should wait for writes that wait for the store: release the flushes.
                    let released: [@Sendable (Bool) -> Void] = lock.withLock {
                        failing = true
                        defer { waiters.removeAll { !$0.patient } }
                        return waiters.filter { !$0.patient }.map(\.done)
                    }
                    released.forEach { $0(false) }
                    logger.warning("store unavailable while saving \(label); retrying until it is back: \(failure)")
                    onOutage(failure)
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        let ready: [@Sendable (Bool) -> Void] = lock.withLock {
            completed += 1
            failing = false
            let done = waiters.filter { $0.target <= completed }.map(\.done)
            waiters.removeAll { $0.target <= completed }
            return done
        }
        ready.forEach { $0(true) }
    }

    /// Waits until every job queued so far is done; returns false at once while the
    /// store is unavailable (the writes go on in the background), or after `timeout`.
    func flush(timeout: Duration) async -> Bool {
        await wait(timeout: timeout, patient: false)
    }

    /// At shutdown: waits for every queued job up to `timeout`, through an outage too,
    /// since nothing will retry them once the host has stopped.
    func drain(timeout: Duration) async -> Bool {
        await wait(timeout: timeout, patient: true)
    }

    private func wait(timeout: Duration, patient: Bool) async -> Bool {
        let target = lock.withLock { enqueued }
        return await waitUntil(timeout: timeout) { done in
            let already: Bool? = lock.withLock {
                if completed >= target { return true }
                if failing && !patient { return false }
                waiters.append((target, patient, done))
                return nil
            }
            if let already { done(already) }
        }
    }

    var pending: Int { lock.withLock { enqueued - completed } }
}
