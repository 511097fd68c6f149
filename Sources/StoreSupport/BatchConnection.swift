/// A connection a `GroupCommitter` can frame batches on.
public protocol BatchConnection {
    /// Runs one of the `BatchSQL` statements. It must fail, not reconnect,
    /// when the connection was lost inside a transaction: a silent reconnect
    /// would run the rest of a batch outside it and report rows saved that the
    /// server rolled back.
    func execute(batchSQL: String) throws
}
