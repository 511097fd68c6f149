import Foundation
import OrchTesting
import PluginAPI
@testable import StoreSupport
import Testing

/// The group commit of StoreSupport on a scripted connection, so each test
/// knows exactly which writes shared a batch and which statements framed it.
/// (The conformance suite checks the same rules through both real stores.)
@Suite struct GroupCommitterTests {
    @Test func aLoneWriteRunsAtOnceWithoutATransaction() async throws {
        let rig = Rig()
        #expect(try await rig.committer.write { $0.row("lone") } == "lone")
        #expect(rig.connection.log == ["lone"])
    }

    @Test func writesQueuedBehindABusyWriterShareOneCommitInTheirOrder() async throws {
        let rig = Rig()
        let results = try await rig.queueBehindABusyWriter(["a", "b", "c", "d"])
        #expect(results.map { try? $0.get() } == ["a", "b", "c", "d"])
        #expect(rig.connection.log == ["busy", "BEGIN", "a", "b", "c", "d", "COMMIT"])
    }

    @Test func aFailingWriteFailsAloneWithItsOwnErrorAndTheOthersAreSaved() async throws {
        let rig = Rig()
        rig.connection.failing = ["c": PluginError.invalid("bad_c", "c is bad")]
        let results = try await rig.queueBehindABusyWriter(["a", "b", "c", "d"])
        #expect(results.map { try? $0.get() } == ["a", "b", nil, "d"])
        #expect(throws: PluginError.invalid("bad_c", "c is bad")) { try results[2].get() }
        #expect(rig.connection.log == [
            "busy", "BEGIN", "a", "b", "c", "ROLLBACK",
            "BEGIN", "SAVEPOINT", "a", "RELEASE", "SAVEPOINT", "b", "RELEASE", "SAVEPOINT", "c", "ROLLBACK TO", "RELEASE",
            "SAVEPOINT", "d", "RELEASE", "COMMIT",
        ])
    }

    @Test func aLostTransactionFailsEveryWriteOfTheBatchWithWhatBrokeIt() async throws {
        let rig = Rig()
        let lost = PluginError.unavailable("store_unavailable", "the connection was lost")
        rig.connection.failing = ["b": lost]
        // The savepoint went with the connection: undoing b alone is impossible.
        rig.connection.failingSQL = ["ROLLBACK TO": PluginError.internal("no transaction is open")]
        let results = try await rig.queueBehindABusyWriter(["a", "b", "c"])
        for result in results { #expect(throws: lost) { try result.get() } }
        #expect(rig.connection.log == [
            "busy", "BEGIN", "a", "b", "ROLLBACK", "BEGIN", "SAVEPOINT", "a", "RELEASE", "SAVEPOINT", "b", "ROLLBACK TO", "ROLLBACK",
        ])
    }

    @Test func aFailedCommitIsReportedToEveryWriteAndNeverRetried() async throws {
        let rig = Rig()
        let lost = PluginError.unavailable("store_unavailable", "the connection was lost at COMMIT")
        rig.connection.failingSQL = ["COMMIT": lost]
        let results = try await rig.queueBehindABusyWriter(["a", "b", "c"])
        for result in results { #expect(throws: lost) { try result.get() } }
        #expect(rig.connection.log == ["busy", "BEGIN", "a", "b", "c", "COMMIT"])
    }

    @Test func aWriteThatMustRunAloneKeepsItsPlaceInTheQueue() async throws {
        let rig = Rig()
        let results = try await rig.queueBehindABusyWriter(["a", "b", "!alone", "c", "d"])
        #expect(results.map { try? $0.get() } == ["a", "b", "!alone", "c", "d"])
        #expect(rig.connection.log == ["busy", "BEGIN", "a", "b", "COMMIT", "!alone", "BEGIN", "c", "d", "COMMIT"])
    }

    @Test func workQueuedOnTheSharedPoolGoesBeforeTheNextBatch() async throws {
        let rig = Rig()
        let gate = DispatchSemaphore(value: 0)
        let busy = Task { [committer = rig.committer] in
            try await committer.write { connection in
                let name = connection.row("busy")
                gate.wait()
                return name
            }
        }
        #expect(await eventually { rig.connection.started.contains("busy") })
        let write = Task { [committer = rig.committer] in try await committer.write { try $0.write("write") } }
        #expect(await eventually { rig.committer.waiting == 1 })
        let read = Task { [pool = rig.pool] in try await pool.run { $0.row("read") } }
        #expect(await eventually { rig.pool.hasQueuedJobs })
        gate.signal()
        _ = try await (busy.value, write.value, read.value)
        #expect(rig.connection.log == ["busy", "read", "write"], "a stream of writes cannot starve the pool's other work")
    }
}

/// A committer on one thread with a scripted connection.
private final class Rig: Sendable {
    let connection = ScriptedConnection()
    let committer: GroupCommitter<ScriptedConnection>
    let pool: WorkerPool<ScriptedConnection>

    init() {
        pool = WorkerPool(name: "group-commit-test", resources: [connection])
        committer = GroupCommitter(pool: pool, sql: BatchSQL(begin: "BEGIN", savepoint: "SAVEPOINT", releaseSavepoint: "RELEASE",
                                                             rollbackToSavepoint: "ROLLBACK TO"))
    }

    deinit { pool.shutdown() }

    /// Holds the writer in a first write, queues `names` one after another
    /// (a name starting with "!" as a write that must run alone), then lets the writer go.
    func queueBehindABusyWriter(_ names: [String]) async throws -> [Result<String, PluginError>] {
        let gate = DispatchSemaphore(value: 0)
        let busy = Task { try await committer.write { connection in
            let name = connection.row("busy")
            gate.wait()
            return name
        } }
        #expect(await eventually { self.connection.started.contains("busy") })
        var tasks: [Task<String, Error>] = []
        for (index, name) in names.enumerated() {
            tasks.append(Task { [committer] in
                if name.hasPrefix("!") { return try await committer.writeAlone { try $0.write(name) } }
                return try await committer.write { try $0.write(name) }
            })
            #expect(await eventually { self.committer.waiting == index + 1 }, "\(name) is queued")
        }
        gate.signal()
        _ = try await busy.value
        var results: [Result<String, PluginError>] = []
        for task in tasks {
            do { results.append(.success(try await task.value)) } catch { results.append(.failure(PluginError(error))) }
        }
        return results
    }
}

/// Records every statement; fails the writes and statements it is told to.
private final class ScriptedConnection: BatchConnection, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    private var begun: Set<String> = []
    /// Writes that throw, by name.
    var failing: [String: PluginError] = [:]
    /// Framing statements that throw, by SQL.
    var failingSQL: [String: PluginError] = [:]

    var log: [String] { lock.withLock { entries } }
    var started: Set<String> { lock.withLock { begun } }

    func row(_ name: String) -> String {
        lock.withLock {
            begun.insert(name)
            entries.append(name)
        }
        return name
    }

    func write(_ name: String) throws -> String {
        _ = row(name)
        if let failure = failing[name] { throw failure }
        return name
    }

    func execute(batchSQL: String) throws {
        lock.withLock { entries.append(batchSQL) }
        if let failure = failingSQL[batchSQL] { throw failure }
    }
}
