/// A connection a `GroupCommitter` can frame batches on.
public protocol BatchConnection {
    /// One write the connection can send without waiting for the one before
    /// (a statement and its parameters); `Never` for a connection that cannot.
    associatedtype Statement = Never
    /// What such a write returns.
    associatedtype Rows: Sendable = Void

    /// Runs one of the `BatchSQL` statements. It must fail, not reconnect,
    /// when the connection was lost inside a transaction: a silent reconnect
    /// would run the rest of a batch outside it and report rows saved that the
    /// server rolled back.
    func execute(batchSQL: String) throws

    /// Runs one write and waits for its rows.
    func execute(statement: Statement) throws -> Rows

    /// Sends `begin`, every statement and `commit` in one round trip and reads
    /// every result; `.notSent` when the statements are too large to send before
    /// reading, or the connection cannot pipeline (the committer then runs them one by one).
    func pipeline(begin: String, _ statements: [Statement], commit: String) -> PipelineOutcome<Rows>
}

/// How a pipelined batch ended.
public enum PipelineOutcome<Rows> {
    /// Committed: each statement's rows, in order.
    case committed([Rows])
    /// A statement failed, so the transaction was aborted and nothing was kept;
    /// it is still open (failed) until a ROLLBACK.
    case statementFailed
    /// Framing or the connection failed: the batch's outcome is this error for every write (a COMMIT may have happened).
    case failed(Error)
    /// Not sent: too large for one round trip, or the connection cannot pipeline.
    case notSent
}

extension BatchConnection where Statement == Never {
    public func execute(statement: Never) throws -> Rows { switch statement {} }
    public func pipeline(begin: String, _ statements: [Never], commit: String) -> PipelineOutcome<Rows> { .notSent }
}
