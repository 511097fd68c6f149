import AnthropicLoopback
import Foundation
import OrchTesting
import PluginAPI
import Testing

/// A turn a host stop cut off says so in the history: after a SIGKILL the next
/// start marks the running turn and every message queued behind it; a graceful
/// stop writes the same markers itself. `orch chat` shows them, and a clean
/// history gets none.
@Suite struct CutOffTurnTests {
    private static let cutOff = "This reply was cut off: orch stopped while it was being written. What had been saved is above; send the message again to retry."
    private static let notRun = "Not answered: orch stopped before this message's turn began. It is saved; send it again to get an answer."

    /// A host in `directory` streaming a slow reply to "talk slowly", with "and then this" queued behind it.
    private struct Streaming {
        let claude: ClaudeSetup
        let directory: URL
        let host: UnixHost
        let client: LineClient
        let id: JSONValue
        let first: JSONValue?
        let second: JSONValue?

        static func start() async throws -> Streaming {
            let claude = try await ClaudeSetup.start()
            claude.loopback.enqueue(.slow(words: 400, every: .milliseconds(50)))
            let directory = try Paths.temporaryDirectory()
            let host = try await claude.host(in: directory)
            let client = try host.connect()
            let id: JSONValue = .string(host.orchestratorID)
            let first = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "talk slowly"])
            #expect(await client.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "chat_stream" } }, "the reply is streaming")
            let second = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "and then this"])
            #expect(second?["queued"] == true)
            return Streaming(claude: claude, directory: directory, host: host, client: client, id: id, first: first, second: second)
        }
    }

    @Test func aHostKilledMidTurnLeavesMarkersTheNextStartWrites() async throws {
        let streaming = try await Streaming.start()
        let (claude, directory, host, client, id, first, second) = (streaming.claude, streaming.directory, streaming.host, streaming.client,
                                                                    streaming.id, streaming.first, streaming.second)
        let running = try await client.ask(["type": "get_orchestrator"])
        #expect(running?["orchestrator"]?["status"] == "executing", "\(String(describing: running))")
        host.orch.terminate(signal: SIGKILL)
        _ = await host.orch.exitStatus()

        let restarted = try await claude.host(in: directory)
        #expect(restarted.orch.stderr.contains("the previous run stopped during turn \(first?["turn_id"]?.stringValue ?? "?") (killed or crashed); marked it and 1 queued message(s) as not answered"),
                "\(restarted.orch.stderr.suffix(2000))")
        let reader = try restarted.connect()
        let history = elements(try await reader.ask(["type": "load_chat", "orchestrator_agent_id": id], reply: "chat_history")?["messages"])
        #expect(history.map { $0["message"] } == ["talk slowly", .string(Self.cutOff), "and then this", .string(Self.notRun)])
        let markers = history.filter { $0["metadata"]?["type"] == "turn_interrupted" }
        #expect(markers.map { $0["metadata"]?["turn_id"] } == [first?["turn_id"], second?["turn_id"]])
        #expect(markers.map { $0["metadata"]?["error_class"] } == ["host_stopped", "cancelled"])
        #expect(markers.allSatisfy { $0["sender_type"] == "orchestrator" && $0["metadata"]?["partial"] == true })
        let status = try await reader.ask(["type": "get_orchestrator"])
        #expect(status?["orchestrator"]?["status"] == "idle")
        #expect(status?["orchestrator"]?["metadata"]?["status_detail"] == nil, "the running turn's detail is gone once marked")

        let chat = try OrchProcess(["chat", "--socket", restarted.socket])
        #expect(await chat.waitForOutput("── history: 4 messages ──\n› talk slowly\n⚠ \(Self.cutOff)\n› and then this\n⚠ \(Self.notRun)\n──\n"),
                "\(chat.stdout) \(chat.stderr)")
        chat.closeInput()
        _ = await chat.exitStatus()
        #expect(await restarted.stop() == 0)

        let again = try await claude.host(in: directory)
        let later = elements(try await again.connect().ask(["type": "load_chat", "orchestrator_agent_id": id], reply: "chat_history")?["messages"])
        #expect(later.count == 4, "a start after a clean stop marks nothing")
        #expect(await again.stop() == 0)
        await claude.stop()
    }

    @Test func aGracefulStopMarksTheTurnItEndsAndTheQueuedOne() async throws {
        let streaming = try await Streaming.start()
        let (claude, directory, id) = (streaming.claude, streaming.directory, streaming.id)
        #expect(await streaming.host.stop() == 0)

        let restarted = try await claude.host(in: directory)
        #expect(!restarted.orch.stderr.contains("the previous run stopped during turn"), "a graceful stop leaves nothing to recover")
        let history = elements(try await restarted.connect().ask(["type": "load_chat", "orchestrator_agent_id": id], reply: "chat_history")?["messages"])
        try #require(history.count == 5, "\(history.map { $0["message"] })")
        #expect(history.map { $0["metadata"]?["type"] } == [nil, "text", "turn_interrupted", nil, "turn_interrupted"])
        #expect(history[1]["metadata"]?["partial"] == true, "the streamed text is saved, marked partial")
        #expect(history.map { $0["message"] }.suffix(3) == [.string(Self.cutOff), "and then this", .string(Self.notRun)])
        #expect(await restarted.stop() == 0)
        await claude.stop()
    }
}
