import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import PostgresCluster
import Testing

/// The engine on a real PostgreSQL server that goes away: before a turn the
/// message is refused and nothing runs; during a turn the reply is still
/// delivered live and saved once the server is back.
@Suite(.serialized) struct EngineStoreOutageTests {
    @Test func storeDownBeforeATurnRefusesTheMessageAndRunsNothing() async throws {
        try await withPostgresStore("orch_engine") { cluster, store in
            let host = try await TestRuntime.start(store: store)
            try cluster.stopServer()
            let error = await #expect(throws: PluginError.self) { _ = try await host.send("are you there?") }
            #expect(error?.status == .unavailable)
            #expect(error?.code == "store_unavailable")
            #expect(error?.message.hasPrefix("the message was not saved, so nothing was run: ") == true)
            #expect(error?.retryable == true)
            #expect(!host.wire.types.contains("chat_typing"))
            try cluster.startServer()
            #expect(await eventually { (try? await host.send("again", wait: true))?["status"] == .string("success") })
            let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages.map(\.message)
            #expect(rows == ["again", "You said: again"])
            await host.stop()
        }
    }

    @Test func storeDownDuringATurnStillDeliversTheReplyAndSavesItWhenBack() async throws {
        try await withPostgresStore("orch_engine") { cluster, store in
            let host = try await TestRuntime.start(store: store)
            _ = try await host.send("wait for the outage")
            #expect(await eventually { host.wire.of(type: "chat_stream").count == 1 })
            try cluster.stopServer()
            _ = try await host.backendRequest("release")
            // Delivered live although the store is down.
            #expect(await eventually { host.wire.of(type: "turn_complete").count == 1 })
            let reply = host.wire.of(type: "orchestrator_chat").last?["message"]
            #expect(reply?["message"] == .string("partial done"))
            #expect(host.wire.of(type: "error").contains { $0["error_class"] == .string("store_unavailable") })
            #expect(!host.wire.types.contains("orchestrator_updated"))
            try cluster.startServer()
            #expect(await eventually(timeout: .seconds(20)) { host.wire.types.contains("orchestrator_updated") })
            let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
            try #require(rows.map(\.message) == ["wait for the outage", "partial done"])
            #expect(rows[1].id == reply?["id"]?.stringValue)
            #expect(host.engine.orchestrator.outputTokens == 4)
            await host.stop()
        }
    }
}
