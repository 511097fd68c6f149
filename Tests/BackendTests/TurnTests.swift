import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
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
        // Then the API call's usage, for a host that holds a budget during the turn, and the
        // agent's Stop hook (SubAgentTests covers hooks).
        #expect(turn.events.map(\.kind) == [.textDelta, .textDelta, .textDelta, .blockFinal, .status, .hook])
        #expect(try json(try #require(turn.events(.status).first).json) == [
            "status": "usage", "model": "claude-sonnet-4-5",
            "usage": ["input_tokens": 1000, "output_tokens": 100, "cache_creation_input_tokens": 500, "cache_read_input_tokens": 300],
        ])

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

    @Test func thinkingStreamsAsThinkingDeltasAndAThinkingBlock() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.thinking("Let me think briefly.", then: "The answer is 4."))
        let turn = await harness.turn("what is 2+2?", session: newSession())

        #expect(turn.value != nil, "\(String(describing: turn.error))")
        #expect(turn.events(.thinkingDelta).map(\.text).joined() == "Let me think briefly.")
        let finals = turn.events(.blockFinal).map { (text: $0.text, json: try? json($0.json)) }
        #expect(finals.map(\.text) == ["Let me think briefly.", "The answer is 4."])
        #expect(finals.map { $0.json?["kind"] } == [.string("thinking"), .string("text")])
        #expect(finals.map { $0.json?["index"] } == [.int(0), .int(1)])
        // Thinking comes first, and its block is final before the text starts.
        let kinds = turn.events.map(\.kind)
        #expect(kinds.firstIndex(of: .blockFinal)! < kinds.firstIndex(of: .textDelta)!)
    }

    @Test func twoTurnsShareOneWarmProcessAndTheSecondCarriesTheHistory() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        let first = await harness.turn("first question", session: session)
        #expect(first.finalTexts == ["Loopback reply #1. You said: first question"])
        let pid = try #require(try await harness.pid(of: session))

        let second = await harness.turn("second question", session: session, resume: true)
        let result = try #require(second.value, "\(String(describing: second.error))")
        #expect(second.finalTexts == ["Loopback reply #2. You said: second question"])
        #expect(try await harness.pid(of: session) == pid)

        let request = try #require(harness.loopback.messageRequests.last)
        try #require(request.messages.map(\.role) == ["user", "assistant", "user"])
        #expect(request.messages[0].texts.last == "first question")
        #expect(request.messages[1].texts == ["Loopback reply #1. You said: first question"])
        #expect(request.lastUserText == "second question")
        // The cost is this turn's alone, not the session's running total.
        let usage = try #require(result["usage"])
        let expected = Double(usage["input_tokens"]?.intValue ?? 0) * 3e-6 + Double(usage["output_tokens"]?.intValue ?? 0) * 15e-6
        #expect(abs((result["cost_usd"]?.doubleValue ?? 0) - expected) < 1e-9)
    }

    @Test func aSecondMessageWhileATurnRunsIsQueuedBehindIt() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 20, every: .milliseconds(100)))
        let words = (0..<20).map { "w\($0)" }.joined(separator: " ")
        let firstEvents = Recorder(), secondEvents = Recorder()
        async let first = harness.turn("first", session: session, recorder: firstEvents)
        #expect(await eventually { !firstEvents.events.isEmpty })
        async let second = harness.turn("second while busy", session: session, recorder: secondEvents)
        #expect(try await eventually(timeout: .seconds(15)) {
            let status = try await harness.status(of: session)
            return status?["running"] == .bool(true) && status?["queued"] == .int(1)
        })
        #expect(secondEvents.events.isEmpty)

        let (firstTurn, secondTurn) = await (first, second)
        #expect(firstTurn.finalTexts == [words])
        #expect(secondTurn.finalTexts == ["Loopback reply #2. You said: second while busy"])
        #expect(firstTurn.value != nil && secondTurn.value != nil)
        // The second request went out after the first turn had completed: its history holds the whole first reply.
        let request = try #require(harness.loopback.messageRequests.last)
        try #require(request.messages.map(\.role) == ["user", "assistant", "user"])
        #expect(request.messages[1].texts == [words])
    }

    @Test func badTurnsAndRequestsAreRefusedWithSpecificErrors() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        func start(_ body: String) async throws { _ = try await harness.backend.runTurn(Data(body.utf8)) { _ in } }

        await #expect(throws: PluginError(.invalid, code: "empty_message", #"start_turn: "message" must be non-empty text or a non-empty array of content blocks"#, retryable: false)) {
            try await start(#"{"turn_id":"t","message":"  "}"#)
        }
        await #expect(throws: PluginError(.invalid, code: "invalid_request", #"start_turn: missing field "turn_id""#, retryable: false)) {
            try await start(#"{"message":"hi"}"#)
        }
        await #expect(throws: PluginError(.invalid, code: "invalid_session_id", #"start_turn: "session_id" must be a UUID (the Claude CLI accepts nothing else); got "nope""#, retryable: false)) {
            try await start(#"{"turn_id":"t","message":"hi","session_id":"nope"}"#)
        }
        await #expect(throws: PluginError(.invalid, code: "invalid_working_dir", #"start_turn: working_dir "/no/such/dir" is not an existing directory; create it or fix [host] working_dir"#, retryable: false)) {
            try await start(#"{"turn_id":"t","message":"hi","working_dir":"/no/such/dir"}"#)
        }
        await #expect(throws: PluginError(.unsupported, code: "unsupported", #"ClaudeBackend has no op "bogus"; it serves status, interrupt, prewarm, close_session, stop_session"#, retryable: false)) {
            _ = try await harness.request(["op": .string("bogus")])
        }
        await #expect(throws: PluginError(.invalid, code: "invalid_request", #"interrupt: missing field "session_id""#, retryable: false)) {
            _ = try await harness.request(["op": .string("interrupt")])
        }
        #expect(try await harness.request(["op": .string("interrupt"), "session_id": .string(newSession())]) == .object(["interrupted": .bool(false)]))
        #expect(try await harness.request(["op": .string("close_session"), "session_id": .string(newSession())]) == .object(["closed": .bool(false)]))
        #expect(harness.loopback.requests.isEmpty, "no CLI was started for a refused turn")
    }
}
