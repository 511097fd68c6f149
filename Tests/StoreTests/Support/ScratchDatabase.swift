import Foundation
import OrchHost
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
