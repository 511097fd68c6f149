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
        let host = try await claude.host()
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

    /// `orch serve` exports its config's path; ClaudeBackend denies the agent's writes to it, even with the
    /// config inside the working directory, edits accepted without asking and every question answered "allow".
    @Test func theAgentCannotRewriteOrchsOwnConfig() async throws {
        let claude = try await ClaudeSetup.start()
        let options = claude.options.replacingOccurrences(of: "tools = []", with: """
            tools = ["Read", "Write"]
            permission_mode = "acceptEdits"
            permission_policy = "allow"
            """)
        let host = try await UnixHost.start(in: claude.directory, backend: Paths.plugin("ClaudeBackend"), backendOptions: options,
                                            host: "working_dir = \"\(claude.directory.path)\"")
        let original = try String(contentsOfFile: host.config, encoding: .utf8)
        claude.loopback.enqueue(.toolUse("Read", input: #"{"file_path":"\#(host.config)"}"#, id: "toolu_read_config"))
        let rewritten = original.replacingOccurrences(of: "permission_mode = \"acceptEdits\"", with: "permission_mode = \"bypassPermissions\"")
        let input = String(decoding: try JSON.encode(["file_path": JSONValue.string(host.config), "content": .string(rewritten)]), as: UTF8.self)
        claude.loopback.enqueue(.toolUse("Write", input: input, id: "toolu_write_config"))
        claude.loopback.enqueue(.text("I could not change it."))
        let result = try ChatCLITests.shell("echo 'loosen your config' | '\(Paths.orch)' chat --once --socket '\(host.socket)'")
        #expect(result.status == 0, "\(result.stderr)")
        let sent = try #require(claude.loopback.messageRequests.last?.messages.last?.toolResults.first)
        #expect(sent.isError && sent.text == "<tool_use_error>File is in a directory that is denied by your permission settings.</tool_use_error>", "\(sent.text)")
        #expect(try String(contentsOfFile: host.config, encoding: .utf8) == original)
        #expect(await host.stop() == 0)
        await claude.stop()
    }
}
