import AnthropicLoopback
import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The terminal path end to end with the real backend: `orch chat --once` in a
/// pipe → UnixSocketTransport → the real `orch serve` → ClaudeBackend → the
/// real Claude Code CLI → the loopback Anthropic API, and back.
@Suite struct ClaudeOverUnixTests {
    @Test func aPipedQuestionGetsTheStreamedReplyThatIsSaved() async throws {
        let claude = try await ClaudeSetup.start()
        claude.loopback.enqueue(.text("Four, since two and two make four."))
        let host = try await UnixHost.start(backend: Paths.plugin("ClaudeBackend"), backendOptions: claude.options,
                                            host: "working_dir = \"\(claude.workingDir)\"")
        let watcher = try host.connect()
        #expect(await watcher.next("connection_established") != nil)
        // A client that only watches says one line first, or the handshake timeout closes it (docs/unix-socket-transport.md).
        _ = try await watcher.ask(["type": "ping"], reply: "pong")
        let result = try ChatCLITests.shell("echo 'What is 2+2?' | '\(Paths.orch)' chat --once --socket '\(host.socket)'")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Four, since two and two make four.\n")
        #expect(await watcher.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "turn_complete" } })
        let chunks = watcher.events.filter { $0["type"] == "chat_stream" && $0["is_complete"] == false }.compactMap { $0["chunk"]?.stringValue }
        #expect(chunks.count > 3, "the reply arrives token by token")
        #expect(chunks.joined() + "\n" == result.stdout)
        let history = try await watcher.ask(["type": "load_chat", "orchestrator_agent_id": .string(host.orchestratorID)], reply: "chat_history")
        #expect(elements(history?["messages"]).compactMap { $0["message"]?.stringValue } == ["What is 2+2?", "Four, since two and two make four."])
        let usage = try #require(watcher.events.first { $0["type"] == "orchestrator_updated" }?["orchestrator"])
        #expect((usage["output_tokens"]?.intValue ?? 0) > 0 && (usage["total_cost"]?.doubleValue ?? 0) > 0)
        #expect(await host.stop() == 0)
        await claude.stop()
    }
}
