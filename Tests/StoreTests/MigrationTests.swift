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
        #expect(fresh.schemaVersion == 2)
        #expect(fresh.migrationsApplied == 2)

        let second = try database.open()
        let again = try await second.api.health()
        #expect(again.schemaVersion == 2)
        #expect(again.migrationsApplied == 0, "the second start applies nothing")
        #expect(try await second.api.orchestrator(id: made.id) == made, "and keeps the data")
        await second.ref.destroy()
        #expect(try database.sql("SELECT version, name FROM schema_migrations ORDER BY version") == "1|schema_v1\n2|schema_v2")
    }

    @Test(arguments: StoreKind.allCases)
    func aDatabaseFromANewerPluginIsRefused(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        try await database.open().ref.destroy()
        let now = kind == .postgres ? "now()" : "'2030-01-01T00:00:00.000000Z'"
        try database.sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', \(now))")

        #expect(throws: PluginLoadError.initFailed(plugin: kind.rawValue, kind: .store, status: .conflict, message: """
            \(kind.rawValue): the database \(database.location) has schema version 999, newer than this plugin understands (2); \
            upgrade orch, or point the store at another database
            """)) {
            _ = try database.open()
        }
        #expect(try database.sql("SELECT count(*) FROM schema_migrations") == "3", "the refusal changed nothing")

        try database.sql("DELETE FROM schema_migrations WHERE version = 999")
        let reopened = try database.open()
        #expect(try await reopened.api.health().schemaVersion == 2)
        await reopened.ref.destroy()
    }

    /// schema_v2 counts each orchestrator's chat rows; a database written under v1 gets the counts of
    /// the rows it already has, and the triggers keep them from then on.
    @Test(arguments: StoreKind.allCases)
    func upgradingToV2CountsTheChatRowsAlreadyThere(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        let store = try database.open()
        let (one, two) = (try await store.diagnostics.createOrchestrator(), try await store.diagnostics.createOrchestrator())
        _ = try await store.diagnostics.bulkInsertChat(orchestratorID: one.id, count: 7)
        _ = try await store.diagnostics.bulkInsertChat(orchestratorID: two.id, count: 3)
        await store.ref.destroy()
        // Back to what a v1 database is: no counts table, no triggers, version 1.
        let undo = kind == .postgres
            ? """
              DROP TRIGGER orchestrator_chat_counted ON orchestrator_chat; DROP TRIGGER orchestrator_chat_uncounted ON orchestrator_chat;
              DROP FUNCTION orch_count_inserted_chat(); DROP FUNCTION orch_count_deleted_chat(); DROP TABLE orchestrator_chat_counts;
              DELETE FROM schema_migrations WHERE version = 2;
              """
            : """
              DROP TRIGGER orchestrator_chat_counted; DROP TRIGGER orchestrator_chat_uncounted; DROP TABLE orchestrator_chat_counts;
              DELETE FROM schema_migrations WHERE version = 2;
              """
        _ = try database.sql(undo)

        let upgraded = try database.open()
        #expect(try await upgraded.api.health().migrationsApplied == 1)
        #expect(try await upgraded.api.turnCount(orchestratorID: one.id) == 7)
        #expect(try await upgraded.api.turnCount(orchestratorID: two.id) == 3)
        _ = try await upgraded.api.insertChat(.init(orchestratorID: two.id, sender: .user, receiver: .orchestrator, message: "one more"))
        #expect(try await upgraded.api.turnCount(orchestratorID: two.id) == 4)
        #expect(try await upgraded.diagnostics.deleteOrchestrator(id: one.id))
        #expect(try database.sql("SELECT count(*) FROM orchestrator_chat_counts") == "1", "an orchestrator's count goes with it")
        await upgraded.ref.destroy()
    }
}
