import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import PostgresCluster

/// An empty database of its own for a test that needs one (migrations):
/// a new PostgreSQL database in the suite's cluster, or a new SQLite file.
/// `drop()` removes it.
struct ScratchDatabase {
    let kind: StoreKind
    let environment: StoreEnvironment
    let name: String

    init(_ kind: StoreKind, in environment: StoreEnvironment) throws {
        self.kind = kind
        self.environment = environment
        name = "scratch_\(UUID().uuidString.prefix(8).lowercased())"
        if kind == .postgres { try environment.cluster.createDatabase(name) }
    }

    var sqlitePath: String { environment.directory.appendingPathComponent("\(name).sqlite").path }

    /// Where the store's errors say the database is.
    var location: String {
        switch kind {
        case .sqlite: sqlitePath
        case .postgres: "at " + environment.cluster.url(database: name)
        }
    }

    var options: [String: JSONValue] {
        switch kind {
        case .sqlite: ["path": .string(sqlitePath)]
        case .postgres: ["url": .string(environment.cluster.url(database: name))]
        }
    }

    func open() throws -> StoreClient { try environment.open(kind, options: options) }

    /// Runs SQL with the database's own client (psql or sqlite3) and returns its rows, `|`-separated.
    @discardableResult
    func sql(_ statement: String) throws -> String {
        switch kind {
        case .postgres: try environment.cluster.psql(statement, database: name)
        case .sqlite: try Command.run(["/usr/bin/sqlite3", sqlitePath, statement]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    func drop() throws {
        switch kind {
        case .postgres: try environment.cluster.dropDatabase(name)
        case .sqlite:
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) }
        }
    }
}

extension ScratchDatabase {
    /// Makes the database what a store of an earlier release left: the released migrations up to
    /// `version`, applied from their files in the source tree and recorded as the migrator records them.
    func migrated(through version: Int) throws {
        let folder = "\(Paths.repository)/Plugins/\(kind.rawValue)/Sources/Migrations"
        try sql(kind == .postgres
            ? "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())"
            : "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for step in 1...version {
            // Led by a newline: the sqlite3 command would take an argument starting with "--" (a comment) for an option.
            try sql("\n" + (try String(contentsOfFile: "\(folder)/schema_v\(step).sql", encoding: .utf8)))
            try sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(step), 'schema_v\(step)', '2026-01-01T00:00:00.000000Z')")
        }
    }

    /// How this database writes a boolean in SQL text.
    func boolean(_ value: Bool) -> String {
        kind == .postgres ? (value ? "true" : "false") : (value ? "1" : "0")
    }
}
