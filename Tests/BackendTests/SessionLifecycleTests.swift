import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// A session's CLI process over time: reaped when idle, killed, interrupted,
/// over its deadline, closed; and resumed afterwards with its history.
@Suite(.serialized) struct SessionLifecycleTests {
    @Test func aPrewarmedSessionServesItsFirstTurnFromTheProcessAlreadyRunning() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        let reply = try await harness.request(["op": "prewarm", "session_id": .string(session), "working_dir": .string(harness.workingDirectory)])
        let pid = try #require(reply["pid"]?.intValue)
        #expect(reply["prewarmed"] == true)
        #expect(try await harness.pid(of: session) == Int32(pid))
        #expect(harness.loopback.messageRequests.isEmpty, "no prompt is sent to start a session")
        let turn = await harness.turn("hello", session: session)
        #expect(turn.value?["session_id"] == .string(session), "\(String(describing: turn.error))")
        #expect(harness.pids(of: session) == [Int32(pid)], "the turn used the prewarmed process")
    }

    @Test func prewarmOffLeavesTheStartToTheFirstTurn() async throws {
        let harness = try await BackendHarness.start(["prewarm": false])
        defer { Task { await harness.stop() } }
        let session = newSession()
        #expect(try await harness.request(["op": "prewarm", "session_id": .string(session), "working_dir": "/tmp"]) == ["prewarmed": false])
        #expect(try await harness.pid(of: session) == nil)
    }

    @Test func anIdleSessionIsReapedAndTheNextTurnResumesItInANewProcess() async throws {
        let harness = try await BackendHarness.start(["idle_timeout_s": .double(1)])
        defer { Task { await harness.stop() } }
        let session = newSession()
        let first = await harness.turn("remember the word kumquat", session: session)
        #expect(first.value != nil, "\(String(describing: first.error))")
        let firstPid = try #require(harness.pids(of: session).first)

        #expect(await eventually(timeout: .seconds(20)) {
            harness.logs.messages.contains { $0.contains("closing the idle Claude CLI of session \(session)") } && !isRunning(firstPid)
        })
        #expect(try await harness.pid(of: session) == nil)

        // The host need not say "resume": the plugin knows the CLI has this session.
        let second = await harness.turn("what was the word?", session: session)
        #expect(second.value?["session_id"] == .string(session), "\(String(describing: second.error))")
        #expect(harness.pids(of: session).count == 2 && harness.pids(of: session).last != firstPid)
        let request = try #require(harness.loopback.messageRequests.last)
        try #require(request.messages.map(\.role) == ["user", "assistant", "user"])
        #expect(request.messages[0].texts.last == "remember the word kumquat")
        #expect(request.lastUserText == "what was the word?")
    }

    @Test func aCLIKilledMidTurnFailsTheTurnKeepsThePartialTextAndTheSessionResumes() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 60, every: .milliseconds(100)))
        let events = Recorder()
        async let killed = harness.turn("count slowly", session: session, recorder: events)
        #expect(await eventually { events.events.filter { $0.kind == .textDelta }.count >= 3 })
        let pid = try #require(try await harness.pid(of: session))
        kill(pid, SIGKILL)
        let turn = await killed

        // What streamed before the kill is kept, as a partial final block.
        let partial = try #require(turn.events(.blockFinal).last)
        #expect(partial.text == turn.deltaText)
        #expect(try json(partial.json)["partial"] == .bool(true))
        #expect(turn.events(.draftWithdrawn).isEmpty)
        #expect(turn.error == PluginError(.unavailable, code: "cli_exited",
            "the Claude CLI was killed by signal 9 (SIGKILL) in the middle of the turn; the \(partial.text.count) characters streamed so far are kept as a partial reply; the session is resumable, send the next message to continue",
            retryable: true))

        // The next turn resumes the session in a new process, with the killed turn's message in its history.
        #expect(try await harness.pid(of: session) == nil)
        let next = await harness.turn("and now?", session: session, resume: true)
        #expect(next.value?["session_id"] == .string(session), "\(String(describing: next.error))")
        #expect(try await harness.pid(of: session) != pid)
        let request = try #require(harness.loopback.messageRequests.last)
        #expect(request.messages.first?.texts.last == "count slowly")
        #expect(request.lastUserText == "and now?")
    }

    @Test func anInterruptEndsTheTurnWithAnInterruptedErrorAndTheProcessStaysUsable() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 60, every: .milliseconds(100)))
        let events = Recorder()
        async let interrupted = harness.turn("count slowly", session: session, recorder: events)
        #expect(await eventually { events.events.filter { $0.kind == .textDelta }.count >= 3 })
        let pid = try #require(try await harness.pid(of: session))
        #expect(try await harness.request(["op": .string("interrupt"), "session_id": .string(session)]) == .object(["interrupted": .bool(true)]))
        let turn = await interrupted

        #expect(turn.error == PluginError(.cancelled, code: "interrupted",
            "the turn was interrupted; what was written so far is kept and the session stays usable", retryable: false))
        // The CLI itself keeps the partial reply as an authoritative block.
        let kept = try #require(turn.finalTexts.first)
        #expect(kept.hasPrefix("w0 w1 w2") && kept == turn.deltaText)
        // A failed turn still reports its accounting.
        let status = try #require(turn.events(.status).last.map { try json($0.json) })
        #expect(status["status"] == .string("turn_failed") && status["error"]?["code"] == .string("interrupted"))
        #expect(status["result"]?["session_id"] == .string(session))

        let next = await harness.turn("after the interrupt", session: session)
        #expect(next.value != nil, "\(String(describing: next.error))")
        #expect(try await harness.pid(of: session) == pid)
        #expect(harness.loopback.messageRequests.last?.messages.contains { $0.texts.contains { $0.hasPrefix("[Request interrupted by user]") } } == true)
    }

    @Test func aTurnPastItsDeadlineIsStoppedWithATimeoutAndTheSessionStaysUsable() async throws {
        // Long enough that the next, short turn fits even on a loaded 2-core machine.
        let harness = try await BackendHarness.start(["turn_timeout_s": .double(6)])
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 400, every: .milliseconds(100)))
        let turn = await harness.turn("count for forty seconds", session: session)
        #expect(turn.error == PluginError(.timeout, code: "timeout",
            "the turn ran longer than turn_timeout_s (6.0 seconds) and was interrupted; the session stays usable, raise turn_timeout_s for longer turns",
            retryable: true))

        let next = await harness.turn("are you there?", session: session)
        #expect(next.value != nil, "\(String(describing: next.error))")
    }

    @Test func closeSessionEndsTheProcessButNotWhileATurnRuns() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 60, every: .milliseconds(100)))
        let events = Recorder()
        async let running = harness.turn("count slowly", session: session, recorder: events)
        #expect(await eventually { !events.events.isEmpty })
        await #expect(throws: PluginError(.conflict, code: "session_busy",
            "session \(session) has a turn running or queued; interrupt it first, then close the session", retryable: false)) {
            _ = try await harness.request(["op": .string("close_session"), "session_id": .string(session)])
        }
        _ = try await harness.request(["op": .string("interrupt"), "session_id": .string(session)])
        #expect(await running.error?.code == "interrupted")

        let pid = try #require(try await harness.pid(of: session))
        #expect(try await harness.request(["op": .string("close_session"), "session_id": .string(session)]) == .object(["closed": .bool(true)]))
        #expect(!isRunning(pid))
        #expect(try await harness.pid(of: session) == nil)
    }

    @Test func aRestartedHostResumesASessionButCannotCreateItTwice() async throws {
        let first = try await BackendHarness.start()
        defer { Task { await first.stop() } }
        let session = newSession()
        #expect(await first.turn("my name is Ada", session: session).value != nil)
        await first.destroyBackend()

        let restarted = try await BackendHarness.start(sharing: first)
        defer { Task { await restarted.stop() } }
        let again = await restarted.turn("hello again", session: session, resume: false)
        #expect(again.error == PluginError(.conflict, code: "session_in_use",
            "the Claude CLI refused to create the session: Error: Session ID \(session) is already in use.; send the turn with \"resume\": true to continue it",
            retryable: false))
        let resumed = await restarted.turn("what is my name?", session: session, resume: true)
        #expect(resumed.value?["session_id"] == .string(session), "\(String(describing: resumed.error))")
        let request = try #require(restarted.loopback.messageRequests.last)
        #expect(request.messages.first?.texts.last == "my name is Ada")
        #expect(request.messages.dropFirst().first?.texts == ["Loopback reply #1. You said: my name is Ada"])
    }
}
