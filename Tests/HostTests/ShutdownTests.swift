import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import PostgresCluster
import Testing

/// Stopping `orch` mid-turn: clients are told (typing off, an error naming the
/// shutdown, turn complete) before their connections close, the cut-off reply is
/// saved marked incomplete, and writes waiting for an absent store get the
/// documented time to land.
@Suite(.serialized) struct ShutdownTests {
    @Test func aStopMidTurnTellsTheClientsAndMarksTheCutOffReply() async throws {
        let directory = try Paths.temporaryDirectory()
        let host = try await UnixHost.start(in: directory)
        let client = try host.connect()
        let id: JSONValue = .string(host.orchestratorID)
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "wait for the stop"])
        #expect(await client.waitFor { $0.contains { $0["type"] == "chat_stream" && $0["chunk"] == "partial " } })

        #expect(await host.stop() == 0)
        #expect(await client.waitFor { _ in client.isClosed })
        let error = try #require(client.of(type: "error").first { $0["seq"] != nil })
        #expect(error["error_class"] == "host_shutting_down")
        #expect(error["message"] == "orch is shutting down, so this reply was cut off; what was written is saved, marked incomplete: send the message again once orch is back")
        #expect(client.of(type: "chat_typing").last?["is_typing"] == false)
        #expect(client.of(type: "turn_complete").last?["status"] == "interrupted")

        let restarted = try await UnixHost.start(in: directory)
        let reader = try restarted.connect()
        let history = try await reader.ask(["type": "load_chat", "orchestrator_agent_id": id], reply: "chat_history")
        let messages = elements(history?["messages"])
        try #require(messages.count == 3, "\(messages.map { $0["message"] })")
        let (reply, marker) = (messages[1], messages[2])
        #expect(reply["message"] == "partial ")
        #expect(reply["metadata"]?["partial"] == true)
        #expect(reply["metadata"]?["error_class"] == "host_shutting_down")
        #expect(marker["metadata"]?["type"] == "turn_interrupted", "the history says the turn was cut off, after what was saved")
        #expect(marker["metadata"]?["error_class"] == "host_stopped")
        #expect(await restarted.stop() == 0)
    }

    @Test func aMessageSentWhileStoppingIsRefusedNotLost() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        _ = try await host.send("wait while it stops")
        #expect(await eventually { host.wire.of(type: "chat_stream").count == 1 })
        let stopping = Task { await host.stop() }
        #expect(await eventually { await Self.refusesForShutdown(host) })
        await stopping.value
    }

    @Test func writesWaitingForTheStoreLandIfItReturnsWhileStopping() async throws {
        try await withPostgresStore("orch_shutdown") { cluster, store in
            let host = try await TestRuntime.start(store: store)
            _ = try await host.send("wait for the outage")
            #expect(await eventually { host.wire.of(type: "chat_stream").count == 1 })
            try cluster.stopServer()
            _ = try await host.backendRequest("release")
            #expect(await eventually { host.wire.of(type: "turn_complete").count == 1 }, "the reply was delivered live; its row waits for the store")
            let stopping = Task { await host.stop() }
            // The shutdown has begun (new messages are refused) and waits for the store.
            #expect(await eventually { await Self.refusesForShutdown(host) })
            try cluster.startServer()
            await stopping.value

            let after = try await TestRuntime.start(store: store)
            let rows = try await after.store.chatHistory(orchestratorID: after.orchestratorID).messages.map(\.message)
            #expect(rows == ["wait for the outage", "partial done"])
            await after.stop()
        }
    }

    /// Whether a new message is refused because the host is stopping (and so was not saved).
    static func refusesForShutdown(_ host: TestRuntime) async -> Bool {
        do {
            _ = try await host.send("too late")
            return false
        } catch let error as PluginError {
            return error.code == "host_shutting_down"
        } catch {
            return false
        }
    }
}
