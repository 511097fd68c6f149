import Foundation
import PluginAPI
import StoreSupport

/// Brings the database to the plugin's schema at start, in one write
/// transaction (which also keeps two processes from migrating at once).
enum SQLiteMigrator {
    static let migrations = [
        Migration(version: 1, name: "schema_v1", sql: String(decoding: PackageResources.schema_v1_sql, as: UTF8.self)),
        Migration(version: 2, name: "schema_v2", sql: String(decoding: PackageResources.schema_v2_sql, as: UTF8.self)),
        Migration(version: 3, name: "schema_v3", sql: String(decoding: PackageResources.schema_v3_sql, as: UTF8.self)),
        Migration(version: 4, name: "schema_v4", sql: String(decoding: PackageResources.schema_v4_sql, as: UTF8.self)),
        Migration(version: 5, name: "schema_v5", sql: String(decoding: PackageResources.schema_v5_sql, as: UTF8.self)),
    ]

    /// Returns the schema version and how many migrations were applied now.
    ///
    /// Foreign keys are off while migrations run: a migration that rebuilds a table (schema_v3) drops
    /// the old one, and with them on that DROP would delete every row that references it, by cascade.
    /// The pragma is a no-op inside a transaction, so it is set around it; `foreign_key_check` then
    /// refuses to commit a migration that left a dangling reference.
    static func migrate(_ connection: SQLiteConnection) throws -> (version: Int, applied: Int) {
        try connection.execute(script: "PRAGMA foreign_keys = OFF")
        let outcome: (version: Int, applied: Int)
        do { outcome = try migrateAll(connection) } catch {
            try? connection.execute(script: "PRAGMA foreign_keys = ON")
            throw error
        }
        // Not `try?`: a writer left without foreign keys would silently stop cascading deletes.
        try connection.execute(script: "PRAGMA foreign_keys = ON")
        return outcome
    }

    private static func migrateAll(_ connection: SQLiteConnection) throws -> (version: Int, applied: Int) {
        try connection.transaction {
            try connection.execute(script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                );
                """)
            let current = Int(try connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations").first?.int64(0) ?? 0)
            let pending = try Migration.pending(migrations, current: current, store: SQLiteStore.name, location: connection.path)
            for migration in pending {
                try connection.execute(script: migration.sql)
                try connection.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                   [.integer(Int64(migration.version)), .text(migration.name), .text(MicrosecondClock.next())])
            }
            // Only after a migration: on a large database the check reads every referencing table.
            if !pending.isEmpty, let dangling = try connection.query("PRAGMA foreign_key_check").first {
                let (table, parent) = (dangling.optional(0) ?? "?", dangling.optional(2) ?? "?")
                throw PluginError.internal("SQLiteStore: the migration left a row of \(table) that references a missing row of \(parent)")
            }
            return (pending.last?.version ?? current, pending.count)
        }
    }
}
