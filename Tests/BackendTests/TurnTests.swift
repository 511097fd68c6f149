import AnthropicLoopback
import Foundation
import OrchHost
import PluginAPI
import Testing

/// Turns against the real Claude Code CLI and the loopback API: what streams
/// out, in which order, and what a turn reports.
@Suite(.serialized) struct TurnTests {
    @Test func aStreamedAnswerArrivesAsDeltasThenItsFinalBlockAndResult() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.text("Hello there friend.", usage: .init(input: 1000, output: 100, cacheCreation: 500, cacheRead: 300)))
        let session = newSession()
        let turn = await harness.turn("hi", session: session, turnID: "turn-1")

        let result = try #require(turn.value, "\(String(describing: turn.error))")
        #expect(turn.events(.textDelta).map(\.text) == ["Hello", " there", " friend."])
        #expect(turn.finalTexts == ["Hello there friend."])
        // Deltas and their final block share the block key; every event carries the turn's ids.
        let key = try #require(turn.events(.textDelta).first?.messageID)
        #expect(turn.events(.blockFinal).first?.messageID == key)
        #expect(turn.events.allSatisfy { $0.turnID == "turn-1" && $0.orchestratorID == "orchestrator-1" })
        #expect(turn.events.map(\.kind) == [.textDelta, .textDelta, .textDelta, .blockFinal])

        #expect(result["session_id"] == .string(session))
        #expect(result["usage"] == .object(["input_tokens": .int(1000), "output_tokens": .int(100),
                                            "cache_creation_input_tokens": .int(500), "cache_read_input_tokens": .int(300)]))
        // sonnet-4-5 list prices: 1000×$3 + 100×$15 + 500×$3.75 + 300×$0.30 per million tokens.
        #expect(abs((result["cost_usd"]?.doubleValue ?? 0) - 0.006465) < 1e-9)
        #expect(result["model"] == .string("claude-sonnet-4-5"))
        #expect(result["text"] == .string("Hello there friend."))
        #expect((result["duration_ms"]?.intValue ?? 0) > 0)

        // The CLI was started as the SDK starts it: our prompt file, our key, our entrypoint label.
        let request = try #require(harness.loopback.messageRequests.first)
        #expect(request.system.contains { $0.contains("You are the orchestrator of Orch") })
        #expect(request.headers["x-api-key"] == "test-key")
        #expect(request.headers["user-agent"]?.contains("sdk-swift") == true)
        #expect(request.stream)
        #expect(request.lastUserText == "hi")
    }
}
