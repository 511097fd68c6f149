import Foundation
import PluginAPI
import StoreSupport

/// Brings the database to the plugin's schema at start: in one transaction,
/// under an advisory lock so that two hosts starting together do not race.
enum PostgresMigrator {
    static let migrations = [
        Migration(version: 1, name: "schema_v1", sql: String(decoding: PackageResources.schema_v1_sql, as: UTF8.self)),
        Migration(version: 2, name: "schema_v2", sql: String(decoding: PackageResources.schema_v2_sql, as: UTF8.self)),
        Migration(version: 3, name: "schema_v3", sql: String(decoding: PackageResources.schema_v3_sql, as: UTF8.self)),
        Migration(version: 4, name: "schema_v4", sql: String(decoding: PackageResources.schema_v4_sql, as: UTF8.self)),
        Migration(version: 5, name: "schema_v5", sql: String(decoding: PackageResources.schema_v5_sql, as: UTF8.self)),
    ]

    /// Returns the schema version and how many migrations were applied now.
    static func migrate(_ connection: PGConnection, location: String) throws -> (version: Int, applied: Int) {
        try connection.transaction {
            try connection.execute(script: """
                SELECT pg_advisory_xact_lock(7201000);
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
                );
                """)
            let current = Int(try connection.execute(script: "SELECT coalesce(max(version), 0) FROM schema_migrations").first?.int64(0) ?? 0)
            let pending = try Migration.pending(migrations, current: current, store: PostgresStore.name, location: "at \(location)")
            for migration in pending {
                try connection.execute(script: migration.sql)
                _ = try connection.execute(sql: "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)",
                                           [String(migration.version), migration.name])
            }
            return (pending.last?.version ?? current, pending.count)
        }
    }
}
