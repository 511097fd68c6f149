/// The statements that frame a group commit, in the store's own SQL dialect.
/// The savepoint statements are standard SQL that both PostgreSQL and SQLite
/// accept; `begin` is where stores differ (SQLite takes its write lock at
/// `BEGIN IMMEDIATE`, so a batch never fails halfway on another process's lock).
public struct BatchSQL: Sendable {
    public let begin: String
    public let commit: String
    public let rollback: String
    public let savepoint: String
    public let releaseSavepoint: String
    public let rollbackToSavepoint: String

    public init(begin: String, commit: String = "COMMIT", rollback: String = "ROLLBACK",
                savepoint: String = "SAVEPOINT orch_row", releaseSavepoint: String = "RELEASE SAVEPOINT orch_row",
                rollbackToSavepoint: String = "ROLLBACK TO SAVEPOINT orch_row") {
        self.begin = begin
        self.commit = commit
        self.rollback = rollback
        self.savepoint = savepoint
        self.releaseSavepoint = releaseSavepoint
        self.rollbackToSavepoint = rollbackToSavepoint
    }
}
