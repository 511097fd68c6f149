import Foundation
import PluginAPI

/// Runs blocking work (a database driver's calls) on dedicated threads, each
/// owning one resource (a connection), so that no store call ever blocks
/// Swift's cooperative pool. Jobs are served first come, first served by
/// whichever thread is free; the number of threads bounds the pool.
public final class WorkerPool<Resource>: @unchecked Sendable {
    public typealias Job = (Resource) -> Void

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var closed = false
    private let finished = DispatchGroup()
    public let size: Int

    public init(name: String, resources: [Resource]) {
        size = resources.count
        for (index, resource) in resources.enumerated() {
            let owned = Owned(resource)
            finished.enter()
            let thread = Thread { [self, finished] in
                serve(owned.value!)
                owned.value = nil // close the resource on its own thread, before shutdown returns
                finished.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on one of the pool's threads with its resource and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = enqueue { resource in
                do { continuation.resume(returning: try body(resource)) } catch { continuation.resume(throwing: error) }
            }
            if !accepted { continuation.resume(throwing: Self.closedError) }
        }
    }

    /// Queues `job` behind the waiting ones; false when the pool is shutting down and will not run it.
    public func submit(_ job: @escaping Job) -> Bool { enqueue(job) }

    /// Jobs are waiting for a free thread.
    public var hasQueuedJobs: Bool { condition.withLock { head < jobs.count } }

    /// What a caller gets for work the pool refused because it is shutting down.
    public static var closedError: PluginError {
        PluginError(.cancelled, code: "store_closed", "the store is shutting down; the operation was not done")
    }

    /// Finishes the queued jobs, then stops every thread and releases the resources. Blocks until done.
    public func shutdown() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
        finished.wait()
    }

    deinit { shutdown() }

    private func enqueue(_ job: @escaping Job) -> Bool {
        condition.withLock {
            guard !closed else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
    }

    private func serve(_ resource: Resource) {
        while let job = next() { job(resource) }
    }

    private func next() -> Job? {
        condition.withLock {
            while head == jobs.count, !closed { condition.wait() }
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            return job
        }
    }

    /// Hands a non-Sendable resource to the one thread that will use it.
    private final class Owned: @unchecked Sendable {
        var value: Resource?
        init(_ value: Resource) { self.value = value }
    }
}
