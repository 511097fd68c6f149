import PluginAPI
import StoreModel

/// One step of a store's schema, applied once and recorded in `schema_migrations`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The migrations still to apply on a database at `current`, or a refusal
    /// when the database is newer than the newest migration this plugin has.
    public static func pending(_ all: [Migration], current: Int, store: String, location: String) throws(PluginError) -> [Migration] {
        let latest = all.map(\.version).max() ?? 0
        if current > latest {
            throw StoreError.schemaTooNew(store, found: current, supported: latest, where: location)
        }
        return all.filter { $0.version > current }.sorted { $0.version < $1.version }
    }
}
