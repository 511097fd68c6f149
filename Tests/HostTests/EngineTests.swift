import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// The turn engine through real plugins: the SQLite store and the C test
/// backend (deterministic, and able to hold a turn open).
@Suite struct EngineTests {
    @Test func aTurnPersistsUserMessageThenReplyAndStreamsInOrder() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        let accepted = try await host.send("hi", wait: true)
        #expect(accepted["status"] == .string("success"))
        #expect(accepted["response"] == .string("You said: hi"))
        #expect(accepted["session_id"] == .string("c-session"))
        #expect(await eventually { host.wire.types.last == "orchestrator_updated" || host.wire.types.contains("orchestrator_updated") })
        #expect(host.wire.types == [
            "orchestrator_chat", "chat_typing", "chat_stream", "chat_stream", "chat_stream", "chat_stream", "chat_stream",
            "orchestrator_chat", "chat_stream", "orchestrator_updated", "chat_typing", "turn_complete",
        ])
        #expect(host.wire.messages.map { $0["seq"]?.intValue ?? 0 } == Array(1...12))
        // The block's end, then the turn's: one is_complete, after the reply's row.
        let ends = host.wire.of(type: "chat_stream").filter { $0["chunk"] == .string("") }
        #expect(ends.map { $0["block_complete"] } == [.bool(true), .bool(true)])
        #expect(ends.map { $0["is_complete"] } == [.bool(false), .bool(true)])
        let chunks = host.wire.of(type: "chat_stream").filter { $0["is_complete"] == .bool(false) }.compactMap { $0["chunk"]?.stringValue }
        #expect(chunks.joined() == "You said: hi")
        let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
        try #require(rows.map(\.message) == ["hi", "You said: hi"])
        #expect(rows.map(\.sender) == [.user, .orchestrator])
        #expect(rows[1].id == host.wire.of(type: "chat_stream").first?["message_id"]?.stringValue)
        #expect(rows[1].metadata["turn_id"] == accepted["turn_id"])
        #expect(rows[1].metadata["model"] == .string("test-model"))
        // Every row id is time-ordered (UUIDv7), the reply's too, though the host makes it before the row exists.
        #expect(rows.map { Array($0.id)[14] } == ["7", "7"], "\(rows.map(\.id))")
        #expect(rows.map(\.id) == rows.map(\.id).sorted())
        await host.stop()
    }

    @Test func textOfTheModelsOwnSubAgentIsNotTheReply() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        let reply = try await host.send("nested work", wait: true)
        #expect(reply["response"] == "You said: nested work")
        let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
        #expect(rows.map(\.message) == ["nested work", "You said: nested work"])
        #expect(!host.wire.messages.contains { $0["message"]?["message"] == "the sub-agent's own words" })
        await host.stop()
    }

    @Test func aReloadedHistoryHasTheTurnsThinkingAndToolsAsTheyWereShownLive() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        let reply = try await host.send("tools please", wait: true)
        let live = host.wire.messages.filter { ["thinking_block", "tool_use_block", "tool_result_block"].contains($0["type"]?.stringValue ?? "") }
        #expect(live.count == 3)
        let page = try await host.request("load_chat", ["orchestrator_agent_id": .string(host.orchestratorID)])
        let blocks = elements(page["blocks"])
        #expect(blocks.map { $0["type"] } == live.map { $0["type"] }, "\(blocks)")
        #expect(blocks.map { $0["data"] } == live.map { $0["data"] }, "each block as it was shown, ids and times included")
        #expect(blocks.allSatisfy { $0["data"]?["turn_id"] == reply["turn_id"] })
        // A page without those turns brings none.
        let older = try await host.request("load_chat", ["orchestrator_agent_id": .string(host.orchestratorID), "limit": 1])
        #expect(elements(older["messages"]).count == 1 && elements(older["blocks"]).count == 3, "the reply row's turn is on the page")
        await host.stop()
    }

    @Test func tokensAndCostAccumulateAndSurviveARestart() async throws {
        let store = try sqliteStore()
        let first = try await TestRuntime.start(store: store)
        _ = try await first.send("one", wait: true)
        _ = try await first.send("two", wait: true)
        #expect(await eventually { first.engine.orchestrator.outputTokens == 8 })
        let id = first.orchestratorID
        await first.stop()

        let second = try await TestRuntime.start(store: store)
        #expect(second.orchestratorID == id)
        let orchestrator = second.engine.orchestrator
        #expect(orchestrator.sessionID == "c-session")
        #expect(orchestrator.inputTokens == 6)
        #expect(orchestrator.outputTokens == 8)
        #expect(abs(orchestrator.totalCost - 0.0002) < 1e-12)
        let loaded = try await second.request("load_chat", ["orchestrator_agent_id": .string(id)])
        #expect(loaded["turn_count"] == .int(4))
        #expect(loaded["messages"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 4)
        await second.stop()
    }

    @Test func sessionFlagResumesAKnownSessionAndRefusesAnUnknownOne() async throws {
        let store = try sqliteStore()
        let first = try await TestRuntime.start(store: store)
        _ = try await first.send("hello", wait: true)
        #expect(await eventually { first.engine.orchestrator.sessionID == "c-session" })
        let id = first.orchestratorID
        await first.stop()
        let resumed = try await TestRuntime.start(store: store, sessionID: "c-session")
        #expect(resumed.orchestratorID == id)
        await resumed.stop()
        await #expect(throws: Launch.Failure.unknownSession(id: "no-such-session", hint: "the current orchestrator's session is c-session")) {
            _ = try await TestRuntime.start(store: store, sessionID: "no-such-session")
        }
    }

    @Test func workingDirectoryPriorityIsCliThenConfigThenCurrent() throws {
        let cli = try Paths.temporaryDirectory().path, config = try Paths.temporaryDirectory().path, current = try Paths.temporaryDirectory().path
        #expect(try Launch.workingDirectory(cli: cli, config: config, current: current) == cli)
        #expect(try Launch.workingDirectory(cli: nil, config: config, current: current) == config)
        #expect(try Launch.workingDirectory(cli: nil, config: nil, current: current) == current)
        #expect(throws: Launch.Failure.workingDirectoryMissing(path: "/nonexistent/dir", source: "--cwd")) {
            try Launch.workingDirectory(cli: "/nonexistent/dir", config: config, current: current)
        }
    }

    /// Run inside Orch's own checkout (`make run`) with no directory named, the agent gets `workspace/` there, not the checkout.
    @Test func insideOrchsCheckoutTheDefaultWorkingDirectoryIsItsWorkspace() throws {
        let checkout = try Paths.temporaryDirectory()
        for directory in ["Sources/OrchHost", "Plugins/ClaudeBackend"] {
            try FileManager.default.createDirectory(at: checkout.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        try "// swift-tools-version:6.0\n".write(to: checkout.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        let workspace = checkout.appendingPathComponent("workspace").path
        #expect(try Launch.workingDirectory(cli: nil, config: nil, current: checkout.path) == workspace)
        let mode = (try FileManager.default.attributesOfItem(atPath: workspace)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o700)
        // Naming the checkout, even as ".", is the operator's choice.
        #expect(try Launch.workingDirectory(cli: nil, config: ".", current: checkout.path) == checkout.path)
        #expect(try Launch.workingDirectory(cli: checkout.path, config: nil, current: checkout.path) == checkout.path)
    }

    @Test func aMessageDuringATurnIsQueuedAndBothAreAnsweredInOrder() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        let held = try await host.send("wait for me")
        #expect(held["queued"] == .bool(false))
        #expect(await eventually { host.wire.of(type: "chat_stream").count == 1 })
        let second = try await host.send("second")
        #expect(second["queued"] == .bool(true))
        #expect(host.wire.of(type: "turn_queued").first?["turn_id"] == second["turn_id"])
        #expect(try await host.backendRequest("release")["held"] == .bool(true))
        #expect(await eventually { host.wire.of(type: "turn_complete").count == 2 })
        #expect(host.wire.of(type: "turn_complete").map { $0["turn_id"] } == [held["turn_id"], second["turn_id"]])
        #expect(await eventually { (try? await host.store.turnCount(orchestratorID: host.orchestratorID)) == 4 })
        // History is the conversation the model had: the queued message takes its place when its turn starts.
        let final = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages.map(\.message)
        #expect(final == ["wait for me", "partial done", "second", "You said: second"])
        let loaded = try await host.request("load_chat", ["orchestrator_agent_id": .string(host.orchestratorID)])
        #expect(elements(loaded["messages"]).map { $0["message"] } == final.map(JSONValue.string))
        await host.stop()
    }

    @Test func anInterruptedTurnKeepsItsPartialReplyMarked() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        _ = try await host.send("wait here")
        #expect(await eventually { host.wire.of(type: "chat_stream").count == 1 })
        #expect(try await host.request("interrupt", ["orchestrator_agent_id": .string(host.orchestratorID)])["interrupted"] == .bool(true))
        #expect(await eventually { host.wire.of(type: "turn_complete").count == 1 })
        #expect(host.wire.of(type: "turn_complete").first?["status"] == .string("interrupted"))
        #expect(host.wire.of(type: "error").first?["error_class"] == .string("interrupted"))
        #expect(await eventually { (try? await host.store.turnCount(orchestratorID: host.orchestratorID)) == 2 })
        let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
        try #require(rows.count == 2, "\(rows.map(\.message))")
        let reply = rows[1]
        #expect(reply.message == "partial ")
        #expect(reply.metadata["partial"] == .bool(true))
        #expect(reply.metadata["outcome"] == .string("interrupted"))
        #expect(try await host.request("interrupt", ["orchestrator_agent_id": .string(host.orchestratorID)])["interrupted"] == .bool(false))
        await host.stop()
    }

    @Test func badRequestsGetDistinctClientErrors() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        await #expect(throws: PluginError(.invalid, code: "invalid_uuid", #"orchestrator_agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got "nope""#)) {
            _ = try await host.request("send_chat", ["orchestrator_agent_id": "nope", "message": "hi"])
        }
        let stranger = "00000000-0000-4000-8000-000000000000"
        await #expect(throws: PluginError(.notFound, code: "unknown_orchestrator", "orchestrator \(stranger) is not served here; this host serves \(host.orchestratorID) (see /get_orchestrator)")) {
            _ = try await host.request("load_chat", ["orchestrator_agent_id": .string(stranger)])
        }
        await #expect(throws: PluginError(.invalid, code: "empty_message", "message is empty; type something to send")) {
            _ = try await host.send("  \n")
        }
        await #expect(throws: PluginError(.invalid, code: "message_too_large", "message is 100001 bytes; the limit is 100000 bytes ([host] max_message_bytes)")) {
            _ = try await host.send(String(repeating: "x", count: 100_001))
        }
        await #expect(throws: PluginError(.invalid, code: "invalid_request", #"send_chat: missing field "message""#)) {
            _ = try await host.request("send_chat", ["orchestrator_agent_id": .string(host.orchestratorID)])
        }
        #expect(try await host.store.turnCount(orchestratorID: host.orchestratorID) == 0)
        await host.stop()
    }

    @Test func sequenceNumbersAreGapFreeForEverySubscriberAndResumeReplaysExactlyTheMissed() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore())
        let subscribers = (0..<5).map { _ in WireRecorder() }
        for subscriber in subscribers { host.runtime.bus.subscribe { subscriber.record($0) } }
        async let a = host.send("alpha", wait: true)
        async let b = host.send("beta", wait: true)
        async let c = host.send("gamma", wait: true)
        _ = try await (a, b, c)
        #expect(await eventually { host.wire.of(type: "orchestrator_updated").count == 3 })
        let expected = host.wire.messages.map { $0["seq"]?.intValue ?? 0 }
        #expect(expected == Array(1...Int64(expected.count)))
        for subscriber in subscribers { #expect(subscriber.messages == host.wire.messages) }
        let replay = try await host.request("resume", ["orchestrator_agent_id": .string(host.orchestratorID), "last_seq": 20])
        #expect(replay["status"] == .string("ok"))
        #expect(replay["events"] == .array(Array(host.wire.messages.dropFirst(20))))
        let nothingMissed = try await host.request("resume", ["orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(Int64(expected.count))])
        #expect(nothingMissed == ["status": "ok", "events": []])
        await host.stop()
    }

    @Test func resumingFromBeforeTheWindowAsksForAReload() async throws {
        let host = try await TestRuntime.start(store: try sqliteStore(), replayWindow: 8)
        _ = try await host.send("one two three", wait: true)
        #expect(await eventually { host.wire.types.contains("turn_complete") })
        let last = Int64(host.wire.messages.count)
        let reply = try await host.request("resume", ["orchestrator_agent_id": .string(host.orchestratorID), "last_seq": 1])
        #expect(reply == ["status": "reload", "last_seq": .int(last), "oldest_available": .int(last - 7),
                          "message": "events after 1 are no longer kept; reload the history with load_chat"])
        let exact = try await host.request("resume", ["orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(last - 8)])
        #expect(exact["events"] == .array(Array(host.wire.messages.suffix(8))))
        await host.stop()
    }
}
