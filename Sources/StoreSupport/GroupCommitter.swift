import Foundation
import PluginAPI

/// A store's one writer, committing together what arrives together.
///
/// Writes wait in one first-in, first-out queue. Whenever the writer is free
/// it takes everything already queued (never waiting for more: a lone write
/// runs at once, as a plain autocommit statement) and runs it as one
/// transaction, so a burst of N rows costs one durable commit instead of N.
/// Each caller still gets its own result, and only after the commit that
/// holds its row has returned: durability is what the database's settings
/// make of that one COMMIT, as it was for a single row.
///
/// Rows run in queue order, so rows of one chat keep the order they were
/// submitted in, and a write that frames its own transaction (`writeAlone`)
/// runs by itself in its place in that order.
///
/// A batch first runs without savepoints (the common case costs nothing
/// extra). If one of its writes fails, the transaction is rolled back and the
/// batch runs again with a savepoint around each write: the failing write
/// gets its own error and the others are saved. So a batched body may run
/// twice and must do nothing but database work.
///
/// A write given as one statement (`write(statement:)`) can also be sent in a
/// pipeline, where the connection can: the whole batch, BEGIN to COMMIT, then
/// costs one round trip instead of one per row.
public final class GroupCommitter<Resource: BatchConnection>: @unchecked Sendable {
    private let pool: WorkerPool<Resource>
    private let sql: BatchSQL
    private let maxBatch: Int
    private let lock = NSLock()
    private var queue: [Pending] = []
    /// A drain job is queued on or running in the pool; it empties `queue` before clearing this.
    private var draining = false

    /// `pool` runs the batches (one at a time, whichever of its threads is free); `maxBatch` bounds one transaction.
    public init(pool: WorkerPool<Resource>, sql: BatchSQL, maxBatch: Int = 512) {
        self.pool = pool
        self.sql = sql
        self.maxBatch = maxBatch
    }

    /// Runs `body` in the next batch and returns its result once that batch is committed.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        try await enqueue(alone: false, body)
    }

    /// Runs `body` by itself, in its place in the queue: for work that frames its own transaction.
    public func writeAlone<T: Sendable>(_ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        try await enqueue(alone: true, body)
    }

    /// Runs one statement in the next batch (in a pipeline where the connection can) and returns its rows once committed.
    public func write(statement: Resource.Statement) async throws -> Resource.Rows {
        try await withCheckedThrowingContinuation { continuation in
            let slot = Slot<Resource.Rows>()
            enqueue(Pending(alone: false,
                            perform: { slot.value = try $0.execute(statement: statement) },
                            pipelined: (statement, { slot.value = $0 }),
                            succeed: { continuation.resume(returning: slot.value!) },
                            fail: { continuation.resume(throwing: $0) }))
        }
    }

    private func enqueue<T: Sendable>(alone: Bool, _ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let slot = Slot<T>()
            enqueue(Pending(alone: alone,
                            perform: { slot.value = try body($0) },
                            pipelined: nil,
                            succeed: { continuation.resume(returning: slot.value!) },
                            fail: { continuation.resume(throwing: $0) }))
        }
    }

    private func enqueue(_ pending: Pending) {
        let startDrain: Bool = lock.withLock {
            queue.append(pending)
            defer { draining = true }
            return !draining
        }
        if startDrain, !pool.submit({ [self] in drain($0) }) {
            let refused = lock.withLock {
                draining = false
                defer { queue.removeAll() }
                return queue
            }
            refused.forEach { $0.fail(WorkerPool<Resource>.closedError) }
        }
    }

    /// Writes queued and not yet taken by the writer (tests wait on it).
    var waiting: Int { lock.withLock { queue.count } }

    // MARK: - The writer

    private func drain(_ resource: Resource) {
        while let batch = nextBatch() {
            if batch.count == 1 {
                runAlone(batch[0], on: resource)
            } else if !runPipelined(batch, on: resource), !runTogether(batch, on: resource) {
                runGuarded(batch, on: resource)
            }
            // On a pool shared with reads, what queued there meanwhile goes before the next batch,
            // so a steady stream of writes cannot starve it. (A closing pool refuses: finish here.)
            if waiting > 0, pool.hasQueuedJobs, pool.submit({ [self] in drain($0) }) { return }
        }
    }

    /// What is queued now, up to a write that must run alone (or that write by itself); nil clears `draining`.
    private func nextBatch() -> [Pending]? {
        lock.withLock {
            guard let first = queue.first else {
                draining = false
                return nil
            }
            var count = 1
            if !first.alone {
                while count < min(queue.count, maxBatch), !queue[count].alone { count += 1 }
            }
            defer { queue.removeFirst(count) }
            return Array(queue.prefix(count))
        }
    }

    private func runAlone(_ pending: Pending, on resource: Resource) {
        do {
            try pending.perform(resource)
            pending.succeed()
        } catch {
            pending.fail(error)
        }
    }

    /// One transaction sent in one round trip, when every write is a statement and the connection can.
    /// False when it was not sent: the batch must run another way.
    private func runPipelined(_ batch: [Pending], on resource: Resource) -> Bool {
        let statements = batch.compactMap { $0.pipelined?.statement }
        guard statements.count == batch.count else { return false }
        switch resource.pipeline(begin: sql.begin, statements, commit: sql.commit) {
        case .committed(let rows):
            for (pending, rows) in zip(batch, rows) { pending.pipelined?.keep(rows) }
            batch.forEach { $0.succeed() }
            return true
        case .failed(let error):
            batch.forEach { $0.fail(error) }
            return true
        case .statementFailed:
            try? resource.execute(batchSQL: sql.rollback)
            // Run guarded straight away: the failing write would fail the unguarded run again.
            runGuarded(batch, on: resource)
            return true
        case .notSent:
            return false
        }
    }

    /// One transaction, no savepoints. False when a write failed: nothing was kept, and the batch must run guarded.
    private func runTogether(_ batch: [Pending], on resource: Resource) -> Bool {
        do { try resource.execute(batchSQL: sql.begin) } catch {
            batch.forEach { $0.fail(error) }
            return true
        }
        for pending in batch {
            do { try pending.perform(resource) } catch {
                try? resource.execute(batchSQL: sql.rollback)
                return false
            }
        }
        // A COMMIT that fails may or may not have happened: never run the batch again, report it to every caller.
        do { try resource.execute(batchSQL: sql.commit) } catch {
            batch.forEach { $0.fail(error) }
            return true
        }
        batch.forEach { $0.succeed() }
        return true
    }

    /// One transaction with a savepoint around each write, so a failing write is undone alone.
    private func runGuarded(_ batch: [Pending], on resource: Resource) {
        do { try resource.execute(batchSQL: sql.begin) } catch {
            batch.forEach { $0.fail(error) }
            return
        }
        var saved: [Pending] = []
        for (index, pending) in batch.enumerated() {
            do {
                try resource.execute(batchSQL: sql.savepoint)
            } catch {
                abandon(saved + batch[index...], because: error, on: resource)
                return
            }
            do {
                try pending.perform(resource)
                try resource.execute(batchSQL: sql.releaseSavepoint)
                saved.append(pending)
            } catch let own {
                do {
                    try resource.execute(batchSQL: sql.rollbackToSavepoint)
                    try resource.execute(batchSQL: sql.releaseSavepoint)
                } catch {
                    // The transaction itself is gone (a lost connection): what broke it is everyone's error.
                    abandon(saved + batch[index...], because: own, on: resource)
                    return
                }
                pending.fail(own)
            }
        }
        do { try resource.execute(batchSQL: sql.commit) } catch {
            saved.forEach { $0.fail(error) }
            return
        }
        saved.forEach { $0.succeed() }
    }

    private func abandon(_ pending: some Sequence<Pending>, because error: Error, on resource: Resource) {
        try? resource.execute(batchSQL: sql.rollback)
        pending.forEach { $0.fail(error) }
    }

    /// A queued write: its statements, and how to answer its caller once the batch's fate is known.
    private struct Pending {
        let alone: Bool
        let perform: (Resource) throws -> Void
        /// The write as one statement, and where its rows go, when it can be pipelined.
        let pipelined: (statement: Resource.Statement, keep: (Resource.Rows) -> Void)?
        let succeed: () -> Void
        let fail: (Error) -> Void
    }

    /// Holds a write's result between running it and its batch's commit (touched by the writer thread only).
    private final class Slot<T>: @unchecked Sendable {
        var value: T?
    }
}
