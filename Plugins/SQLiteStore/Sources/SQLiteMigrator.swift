import Foundation
import PluginAPI
import StoreSupport

/// Brings the database to the plugin's schema at start, in one write
/// transaction (which also keeps two processes from migrating at once).
enum SQLiteMigrator {
    static let migrations = [
        Migration(version: 1, name: "schema_v1", sql: String(decoding: PackageResources.schema_v1_sql, as: UTF8.self)),
        Migration(version: 2, name: "schema_v2", sql: String(decoding: PackageResources.schema_v2_sql, as: UTF8.self)),
    ]

    /// Returns the schema version and how many migrations were applied now.
    static func migrate(_ connection: SQLiteConnection) throws -> (version: Int, applied: Int) {
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
            return (pending.last?.version ?? current, pending.count)
        }
    }
}
