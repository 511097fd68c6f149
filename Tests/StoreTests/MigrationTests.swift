import Foundation
import OrchHost
import PluginAPI
import Testing

/// Migrations run when a store starts: once, recorded in schema_migrations,
/// and never against a database a newer plugin has written.
@Suite(.storeEnvironment)
struct MigrationTests {
    @Test(arguments: StoreKind.allCases)
    func applyingTwiceIsANoOp(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }

        let first = try database.open()
        let fresh = try await first.api.health()
        let made = try await first.diagnostics.createOrchestrator()
        await first.ref.destroy()
        #expect(fresh.schemaVersion == 1)
        #expect(fresh.migrationsApplied == 1)

        let second = try database.open()
        let again = try await second.api.health()
        #expect(again.schemaVersion == 1)
        #expect(again.migrationsApplied == 0, "the second start applies nothing")
        #expect(try await second.api.orchestrator(id: made.id) == made, "and keeps the data")
        await second.ref.destroy()
        #expect(try database.sql("SELECT version, name FROM schema_migrations ORDER BY version") == "1|schema_v1")
    }

    @Test(arguments: StoreKind.allCases)
    func aDatabaseFromANewerPluginIsRefused(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        try await database.open().ref.destroy()
        let now = kind == .postgres ? "now()" : "'2030-01-01T00:00:00.000000Z'"
        try database.sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', \(now))")

        #expect(throws: PluginLoadError.initFailed(plugin: kind.rawValue, kind: .store, status: .conflict, message: """
            \(kind.rawValue): the database \(database.location) has schema version 999, newer than this plugin understands (1); \
            upgrade orch, or point the store at another database
            """)) {
            _ = try database.open()
        }
        #expect(try database.sql("SELECT count(*) FROM schema_migrations") == "2", "the refusal changed nothing")

        try database.sql("DELETE FROM schema_migrations WHERE version = 999")
        let reopened = try database.open()
        #expect(try await reopened.api.health().schemaVersion == 1)
        await reopened.ref.destroy()
    }
}
