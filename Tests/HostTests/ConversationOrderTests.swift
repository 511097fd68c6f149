import AnthropicLoopback
import Foundation
import OrchTesting
import PluginAPI
import Testing

/// A message sent while a reply still streams is answered after it, and the
/// history says so too: `/load_chat`, `orch chat`'s printed history and a
/// restarted host all show user1, reply1, user2, reply2 — the conversation the
/// model had — not the order the rows were first written in.
@Suite struct ConversationOrderTests {
    @Test func aMessageQueuedBehindAStreamingReplyTakesItsPlaceInHistory() async throws {
        let claude = try await ClaudeSetup.start()
        claude.loopback.enqueue(.slow(words: 40, every: .milliseconds(25)))
        claude.loopback.enqueue(.text("And the second answer."))
        let directory = try Paths.temporaryDirectory()
        let host = try await claude.host(in: directory)
        let client = try host.connect()
        let id: JSONValue = .string(host.orchestratorID)
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "first question"])
        #expect(await client.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "chat_stream" } }, "the first reply streams")
        let queued = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "second question"])
        #expect(queued?["queued"] == true)
        #expect(await client.waitFor(timeout: .seconds(60)) { $0.filter { $0["type"] == "turn_complete" }.count == 2 })
        let firstReply = (0..<40).map { "w\($0)" }.joined(separator: " ")
        let expected: [JSONValue] = ["first question", .string(firstReply), "second question", "And the second answer."]

        let history = try await client.ask(["type": "load_chat", "orchestrator_agent_id": id], reply: "chat_history")
        #expect(elements(history?["messages"]).map { $0["message"] } == expected)
        let chat = try OrchProcess(["chat", "--socket", host.socket])
        #expect(await chat.waitForOutput("── history: 4 messages ──\n› first question\n\(firstReply)\n› second question\nAnd the second answer.\n──\n"),
                "\(chat.stdout) \(chat.stderr)")
        chat.closeInput()
        _ = await chat.exitStatus()
        #expect(await host.stop() == 0)

        let restarted = try await claude.host(in: directory)
        let reader = try restarted.connect()
        let after = try await reader.ask(["type": "load_chat", "orchestrator_agent_id": id], reply: "chat_history")
        #expect(elements(after?["messages"]).map { $0["message"] } == expected, "the order survives a restart")
        // What the model was sent matches: the second request carries the first reply before the second question.
        let second = try #require(claude.loopback.messageRequests.last)
        #expect(second.lastUserText == "second question")
        #expect(await restarted.stop() == 0)
        await claude.stop()
    }
}
