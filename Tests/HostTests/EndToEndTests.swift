import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import PostgresCluster
import Testing

/// The whole path with the real plugins: a store (SQLite and PostgreSQL), the
/// real Claude Code CLI through ClaudeBackend against the loopback Anthropic
/// API, and the turn engine.
@Suite(.serialized) struct EndToEndTests {
    enum StoreChoice: String, CaseIterable { case sqlite, postgres }

    /// The `[store]` body for a fresh database of that kind; `cleanup` removes it.
    func store(_ choice: StoreChoice) throws -> (toml: String, cleanup: () -> Void) {
        switch choice {
        case .sqlite:
            return (try sqliteStore(), {})
        case .postgres:
            let cluster = try PostgresCluster.start(settings: ["fsync=off"])
            try cluster.createDatabase("orch_e2e")
            return ("plugin = \"PostgresStore\"\n[store.options]\nurl = \"\(cluster.url(database: "orch_e2e"))\"", { cluster.destroy() })
        }
    }

    @Test(arguments: StoreChoice.allCases)
    func aTurnStreamsTokensThatConcatenateToThePersistedReply(_ choice: StoreChoice) async throws {
        let (toml, cleanup) = try store(choice)
        defer { cleanup() }
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: toml)
        claude.loopback.enqueue(.text("Hello from the orchestrator, all systems go."))
        let reply = try await host.send("Hello orchestrator, can you confirm you're working?", wait: true)
        #expect(reply["response"] == .string("Hello from the orchestrator, all systems go."))
        #expect(await eventually { host.wire.types.contains("turn_complete") && host.wire.types.contains("orchestrator_updated") })
        let chunks = host.wire.of(type: "chat_stream").filter { $0["is_complete"] == .bool(false) }
        #expect(chunks.count > 3, "the reply must arrive token by token, not as one block")
        let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
        try #require(rows.map(\.message) == ["Hello orchestrator, can you confirm you're working?", "Hello from the orchestrator, all systems go."])
        #expect(chunks.compactMap { $0["chunk"]?.stringValue }.joined() == rows[1].message)
        #expect(Set(chunks.compactMap { $0["message_id"]?.stringValue }) == [rows[1].id])
        let orchestrator = host.engine.orchestrator
        #expect(orchestrator.sessionID == reply["session_id"]?.stringValue)
        #expect(orchestrator.inputTokens > 0 && orchestrator.outputTokens > 0)
        #expect(abs(orchestrator.totalCost - (reply["cost"]?.doubleValue ?? -1)) < 1e-12)
        await host.stop()
        await claude.stop()
    }

    /// The orchestrator's CLI starts with the host, so the first message does not wait for its cold start.
    @Test func theFirstMessageFindsItsSessionAlreadyRunning() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore())
        var warm: JSONValue?
        #expect(await eventually(timeout: .seconds(30)) {
            warm = elements(try? await host.backendRequest("status")["sessions"]).first { $0["alive"] == .bool(true) }
            return warm != nil
        }, "a live CLI before any message")
        claude.loopback.enqueue(.text("Already warm."))
        let reply = try await host.send("hi", wait: true)
        #expect(reply["session_id"] == warm?["session_id"], "the first turn runs in the prewarmed session")
        let sessions = elements(try await host.backendRequest("status")["sessions"])
        #expect(sessions.map { $0["pid"] } == [warm?["pid"]], "…in the same process: no second start")
        await host.stop()
        await claude.stop()
    }

    /// Text, a tool call, more text: two reply blocks, one completion, after the last.
    @Test func aTurnOfSeveralBlocksCompletesOnceAfterTheLast() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore())
        claude.loopback.enqueue(.toolUse("Lookup", input: #"{"q":"x"}"#, saying: "Let me look that up."))
        claude.loopback.enqueue(.text("That tool does not exist, so here is my answer."))
        _ = try await host.send("look it up", wait: true)
        #expect(await eventually { host.wire.types.contains("turn_complete") })
        let stream = host.wire.of(type: "chat_stream")
        let replies = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages.filter { $0.sender == .orchestrator }
        try #require(replies.map(\.message) == ["Let me look that up.", "That tool does not exist, so here is my answer."])
        #expect(stream.filter { $0["block_complete"] == .bool(true) }.compactMap { $0["message_id"]?.stringValue } == replies.map(\.id) + [replies[1].id])
        let completions = stream.filter { $0["is_complete"] == .bool(true) }
        #expect(completions.count == 1)
        #expect(completions.first?["message_id"]?.stringValue == replies.last?.id)
        #expect(completions.first?["seq"] == stream.last?["seq"], "the completion comes after every other chunk")
        let types = host.wire.types
        #expect(types.lastIndex(of: "orchestrator_chat")! < types.lastIndex(of: "chat_stream")!, "…and after the last block's row")
        await host.stop()
        await claude.stop()
    }

    @Test func totalsAccumulateAndARestartedHostResumesTheSession() async throws {
        let toml = try sqliteStore()
        let claude = try await ClaudeSetup.start()
        let first = try await claude.start(store: toml)
        let one = try await first.send("My name is Ada.", wait: true)
        let two = try await first.send("What is 2+2?", wait: true)
        #expect(await eventually { first.wire.of(type: "orchestrator_updated").count == 2 })
        let totals = first.engine.orchestrator
        #expect(abs(totals.totalCost - ((one["cost"]?.doubleValue ?? 0) + (two["cost"]?.doubleValue ?? 0))) < 1e-12)
        let session = try #require(totals.sessionID)
        await first.stop()

        let second = try await claude.start(store: toml, sessionID: session)
        #expect(second.engine.orchestrator.totalCost == totals.totalCost)
        _ = try await second.send("Do you remember my name?", wait: true)
        let history = try #require(claude.loopback.messageRequests.last).messages.flatMap(\.texts).joined(separator: "\n")
        #expect(history.contains("My name is Ada.") && history.contains("What is 2+2?"), "the resumed CLI sends the earlier turns")
        #expect(second.engine.orchestrator.sessionID == session)
        await second.stop()
        await claude.stop()
    }

    @Test func aBackendKilledMidTurnKeepsThePartialReplyAndTheSessionGoesOn() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore())
        claude.loopback.enqueue(.slow(words: 200, every: .milliseconds(50)))
        _ = try await host.send("Count slowly.")
        #expect(await eventually { host.wire.of(type: "chat_stream").count >= 5 })
        let status = try await host.backendRequest("status")
        guard case .array(let sessions)? = status["sessions"], let pid = sessions.first?["pid"]?.intValue else {
            Issue.record("no CLI process in \(status)")
            return
        }
        kill(pid_t(pid), SIGKILL)
        #expect(await eventually { host.wire.types.contains("turn_complete") })
        #expect(host.wire.of(type: "turn_complete").first?["status"] == .string("failed"))
        #expect(host.wire.of(type: "error").first?["error_class"] == .string("cli_exited"))
        let streamed = host.wire.of(type: "chat_stream").compactMap { $0["chunk"]?.stringValue }.joined()
        #expect(await eventually { (try? await host.store.turnCount(orchestratorID: host.orchestratorID)) == 2 })
        let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
        try #require(rows.count == 2, "\(rows.map(\.message))")
        let kept = rows[1]
        #expect(kept.message == streamed && streamed.hasPrefix("w0 w1 w2"))
        #expect(kept.metadata["partial"] == .bool(true))
        let next = try await host.send("Are you still there?", wait: true)
        #expect(next["status"] == .string("success"))
        await host.stop()
        await claude.stop()
    }
}
