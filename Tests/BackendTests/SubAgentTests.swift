import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// What the host needs of the backend to run sub-agents (issue #12): settings per
/// session, a real stop, the agent's hooks as events, and Claude's own nested
/// sub-agents marked as such. All against the real CLI on the loopback API.
@Suite(.serialized) struct SubAgentTests {
    // MARK: per-session settings

    @Test func aSessionsOwnPromptModelToolsAndMaxTurnsReachTheCLI() async throws {
        let harness = try await BackendHarness.start(["tools": .array(["Read", "Write"])])
        defer { Task { await harness.stop() } }
        let note = URL(fileURLWithPath: harness.workingDirectory).appendingPathComponent("note.txt").path
        try "a note".write(toFile: note, atomically: true, encoding: .utf8)
        harness.loopback.enqueue(.toolUse("Read", input: #"{"file_path":"\#(note)"}"#, id: "toolu_read"))
        let turn = await harness.turn("read the note", session: newSession(), extra: [
            "system_prompt": "You are Bee, a sub-agent that reads notes.", "model": "claude-haiku-4-5",
            "allowed_tools": ["Read"], "disallowed_tools": ["Write"], "max_turns": 1,
        ])
        // max_turns = 1: the tool ran, then the agent was stopped.
        #expect(turn.error?.code == "max_turns", "\(String(describing: turn.error))")
        let request = try #require(harness.loopback.messageRequests.first)
        #expect(request.system.contains("You are Bee, a sub-agent that reads notes."))
        #expect(!request.system.contains { $0.contains("You are the orchestrator of Orch") }, "the prompt replaces the configured file")
        #expect(request.model == "claude-haiku-4-5")
        #expect(request.toolNames == ["Read"], "Write is disallowed")
        // allowed_tools: Read ran without a permission question (permission_policy is deny).
        let result = try json(try #require(turn.events(.toolResult).first).json)
        #expect(result["is_error"] == .bool(false), "\(result)")

        // Another session without settings gets the configuration's.
        let plain = await harness.turn("hi", session: newSession())
        #expect(plain.value != nil, "\(String(describing: plain.error))")
        let other = try #require(harness.loopback.messageRequests.last)
        #expect(other.system.contains { $0.contains("You are the orchestrator of Orch") })
        #expect(other.model == "claude-sonnet-4-5")
        #expect(Set(other.toolNames) == ["Read", "Write"])
    }

    @Test func aSessionKeepsItsSettingsWhenItsProcessIsReapedAndResumed() async throws {
        let harness = try await BackendHarness.start(["idle_timeout_s": .double(1)])
        defer { Task { await harness.stop() } }
        let session = newSession()
        let reply = try await harness.request(["op": "prewarm", "session_id": .string(session), "working_dir": .string(harness.workingDirectory),
                                               "system_prompt": "You are Wasp.", "model": "claude-haiku-4-5"])
        let pid = try #require(reply["pid"]?.intValue)
        let first = await harness.turn("hello", session: session)
        #expect(first.value != nil, "\(String(describing: first.error))")
        #expect(harness.pids(of: session) == [Int32(pid)], "the turn used the prewarmed process")
        #expect(harness.loopback.messageRequests.last?.system.contains("You are Wasp.") == true)

        #expect(await eventually(timeout: .seconds(20)) { !isRunning(Int32(pid)) })
        let second = await harness.turn("again", session: session)
        #expect(second.value != nil, "\(String(describing: second.error))")
        #expect(harness.pids(of: session).count == 2)
        let request = try #require(harness.loopback.messageRequests.last)
        #expect(request.system.contains("You are Wasp.") && request.model == "claude-haiku-4-5")
        #expect(request.messages.first?.texts.last == "hello", "resumed with its history")

        // New settings restart the warm process with them.
        let third = await harness.turn("and now?", session: session, extra: ["system_prompt": "You are Hornet."])
        #expect(third.value != nil, "\(String(describing: third.error))")
        #expect(harness.pids(of: session).count == 3)
        #expect(harness.loopback.messageRequests.last?.system.contains("You are Hornet.") == true, "\(harness.loopback.messageRequests.last?.system ?? [])")
        #expect(harness.loopback.messageRequests.last?.model == "claude-sonnet-4-5", "settings are replaced as a whole")
    }

    @Test(arguments: [
        ("system_prompt", JSONValue.int(1), "start_turn: field \"system_prompt\" must be a non-empty string; found an integer"),
        ("model", JSONValue.array([]), "start_turn: field \"model\" must be a non-empty string; found an array"),
        ("allowed_tools", JSONValue.string("Read"), "start_turn: field \"allowed_tools\" must be an array of tool names; found a string"),
        ("disallowed_tools", JSONValue.array([.int(3)]), "start_turn: field \"disallowed_tools\" must hold non-empty tool names without commas; found an integer"),
        ("max_turns", JSONValue.string("3"), "start_turn: field \"max_turns\" must be an integer of at least 1; found a string"),
    ])
    func settingsOfTheWrongTypeAreRefusedNamingTheField(field: String, value: JSONValue, message: String) async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession(), extra: [field: value])
        #expect(turn.error == PluginError(.invalid, code: "invalid_request", message))
        #expect(harness.loopback.messageRequests.isEmpty)
        let prewarm = message.replacingOccurrences(of: "start_turn:", with: "prewarm:")
        await #expect(throws: PluginError(.invalid, code: "invalid_request", prewarm)) {
            _ = try await harness.request(["op": "prewarm", "session_id": .string(newSession()), "working_dir": .string(harness.workingDirectory),
                                           field: value])
        }
    }

    // MARK: stop_session

    @Test func stoppingAnIdleSessionEndsItsProcessBeforeTheReply() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        #expect(await harness.turn("hello", session: session).value != nil)
        let pid = try #require(try await harness.pid(of: session))
        let reply = try await harness.request(["op": "stop_session", "session_id": .string(session)])
        #expect(reply == ["stopped": true, "pid": .int(Int64(pid)), "escalation": "exited", "exit": ["code": 0]])
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the process is gone and reaped")
        #expect(try await harness.pid(of: session) == nil)

        // Nothing to stop any more; nor for a session never seen.
        #expect(try await harness.request(["op": "stop_session", "session_id": .string(session)]) == ["stopped": false, "escalation": "none"])
        #expect(try await harness.request(["op": "stop_session", "session_id": .string(newSession())]) == ["stopped": false, "escalation": "none"])

        // The next turn resumes the session in a new process.
        let next = await harness.turn("still there?", session: session)
        #expect(next.value != nil, "\(String(describing: next.error))")
        #expect(harness.loopback.messageRequests.last?.messages.first?.texts.last == "hello")
    }

    @Test func stoppingABusySessionInterruptsItsTurnFailsTheQueuedOnesAndEndsTheProcess() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 100, every: .milliseconds(100)))
        let events = Recorder()
        async let running = harness.turn("count slowly", session: session, recorder: events)
        #expect(await eventually { events.events.filter { $0.kind == .textDelta }.count >= 3 })
        async let queued = harness.turn("queued behind", session: session)
        #expect(await eventually { (try? await harness.status(of: session))?["queued"] == .int(1) })
        let pid = try #require(try await harness.pid(of: session))

        let reply = try await harness.request(["op": "stop_session", "session_id": .string(session), "grace_ms": 3000])
        #expect(reply["stopped"] == true && reply["pid"] == .int(Int64(pid)))
        #expect(reply["escalation"] == "exited", "\(reply)")
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the process is gone and reaped")

        let stopped = await running
        #expect(stopped.error?.code == "interrupted" && stopped.error?.status == .cancelled, "\(String(describing: stopped.error))")
        #expect(stopped.deltaText.hasPrefix("w0 w1 w2"))
        let waiting = await queued
        #expect(waiting.error == PluginError(.cancelled, code: "interrupted",
            "the session was stopped before this turn was sent; nothing reached the model", retryable: false))
        #expect(!harness.loopback.messageRequests.contains { $0.lastUserText == "queued behind" })

        let next = await harness.turn("after the stop", session: session)
        #expect(next.value != nil, "\(String(describing: next.error))")
        #expect(try await harness.pid(of: session) != pid)
    }

    /// A stop that arrives while the session's first turn is still starting its process stops
    /// that process as soon as it exists; the turn is never sent to the model.
    @Test func stoppingASessionWhoseProcessIsStartingStopsItOnceStarted() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        async let turn = harness.turn("never sent", session: session)
        #expect(await eventually { harness.logs.messages.contains { $0.contains("for session \(session) in") } })
        let reply = try await harness.request(["op": "stop_session", "session_id": .string(session)])
        let pid = try #require(reply["pid"]?.intValue, "\(reply)")
        #expect(reply["stopped"] == true)
        #expect(kill(Int32(pid), 0) == -1 && errno == ESRCH, "the process is gone and reaped")
        let stopped = await turn
        #expect(stopped.error == PluginError(.cancelled, code: "interrupted",
            "the session was stopped before this turn was sent; nothing reached the model", retryable: false))
        #expect(harness.loopback.messageRequests.isEmpty)
    }

    /// A CLI that does not exit within the grace (here 1 ms, less than it needs to save its session)
    /// gets SIGTERM, then SIGKILL, sent to its process group; the reply still waits for the exit.
    @Test func aStopWithoutGraceEscalatesToSignals() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        #expect(await harness.turn("hello", session: session).value != nil)
        let pid = try #require(try await harness.pid(of: session))
        let reply = try await harness.request(["op": "stop_session", "session_id": .string(session), "grace_ms": 1])
        #expect(reply["stopped"] == true && reply["pid"] == .int(Int64(pid)))
        #expect(reply["escalation"] == "sigterm" || reply["escalation"] == "sigkill", "\(reply)")
        #expect(reply["exit"]?["signal"] != nil || reply["exit"]?["code"] != nil, "\(reply)")
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the process is gone and reaped")
        #expect(harness.logs.messages.contains { $0.contains("did not exit 0.001 seconds after its stdin closed; sending SIGTERM to its process group") })
    }

    @Test func stopSessionRefusesABadGrace() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        await #expect(throws: PluginError(.invalid, code: "invalid_request", "stop_session: field \"grace_ms\" must be between 0 and 600000; got -1")) {
            _ = try await harness.request(["op": "stop_session", "session_id": .string(newSession()), "grace_ms": -1])
        }
        await #expect(throws: PluginError(.invalid, code: "invalid_request", #"stop_session: missing field "session_id""#)) {
            _ = try await harness.request(["op": "stop_session"])
        }
    }

    // MARK: hooks

    @Test func theAgentsHooksArriveAsHookEventsInTheTurn() async throws {
        let tool = HostToolTests.AddTool()
        let harness = try await BackendHarness.start(requests: tool.requests)
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.toolUse("mcp__orch__add", input: #"{"a":1,"b":2}"#, id: "toolu_hooked"))
        harness.loopback.enqueue(.text("Three."))
        let turn = await harness.turn("add", session: session, turnID: "turn-hooks")
        #expect(turn.value != nil, "\(String(describing: turn.error))")

        let hooks = try turn.events(.hook).map { try json($0.json) }
        let names = hooks.compactMap { $0["hook_event_name"]?.stringValue }
        #expect(names == ["PreToolUse", "PostToolUse", "Stop"], "\(hooks)")
        let pre = try #require(hooks.first)
        #expect(pre["session_id"] == .string(session))
        #expect(pre["tool_name"] == "mcp__orch__add" && pre["tool_use_id"] == "toolu_hooked")
        #expect(pre["input"]?["tool_input"] == ["a": 1, "b": 2])
        #expect(pre["input"]?["hook_event_name"] == "PreToolUse")
        #expect(hooks[1]["input"]?["tool_response"] != nil)
        #expect(hooks[2]["tool_name"] == nil)
        #expect(turn.events(.hook).allSatisfy { $0.turnID == "turn-hooks" && $0.messageID.isEmpty && $0.text.isEmpty })
        // In order with the turn's other events.
        let kinds = turn.events.map(\.kind).filter { $0 != .textDelta && $0 != .status }
        #expect(kinds == [.toolUse, .hook, .hook, .toolResult, .blockFinal, .hook], "\(kinds)")
    }
}

extension SubAgentTests {
    // MARK: Claude's own sub-agents

    /// The Task tool in the foreground: the CLI forwards the sub-agent's tool calls and results (not its text).
    @Test func toolEventsFromInsideClaudesOwnSubAgentsNameTheirParentToolUse() async throws {
        let harness = try await BackendHarness.start(["tools": .array(["Task", "Read"])])
        defer { Task { await harness.stop() } }
        let note = URL(fileURLWithPath: harness.workingDirectory).appendingPathComponent("note.txt").path
        try "a note".write(toFile: note, atomically: true, encoding: .utf8)
        harness.loopback.enqueue(.toolUse("Task", input: #"{"description":"read the note","prompt":"Read \#(note)","subagent_type":"general-purpose","run_in_background":false}"#,
                                          id: "toolu_task"))
        harness.loopback.enqueue(.toolUse("Read", input: #"{"file_path":"\#(note)"}"#, id: "toolu_inner"))
        harness.loopback.enqueue(.text("The note says: a note."))
        harness.loopback.enqueue(.text("My sub-agent read it."))
        let turn = await harness.turn("have a sub-agent read the note", session: newSession())
        #expect(turn.value != nil, "\(String(describing: turn.error))")

        let uses = try turn.events(.toolUse).map { try json($0.json) }
        #expect(uses.map { $0["id"] } == ["toolu_task", "toolu_inner"])
        #expect(uses.map { $0["parent_tool_use_id"] } == [nil, "toolu_task"], "absent at top level")
        let results = try turn.events(.toolResult).map { try json($0.json) }
        #expect(results.map { $0["tool_use_id"] } == ["toolu_inner", "toolu_task"])
        #expect(results.map { $0["parent_tool_use_id"] } == ["toolu_task", nil])
        #expect(results.first?["content"] == "1\ta note")
        // The reply is the orchestrator's; the sub-agent's hand-back reached it as the Task's result.
        #expect(turn.finalTexts == ["My sub-agent read it."])
        #expect(try turn.events(.blockFinal).allSatisfy { try json($0.json)["parent_tool_use_id"] == nil })
        // The sub-agent's hooks arrive too.
        let hooks = try turn.events(.hook).compactMap { try json($0.json)["hook_event_name"]?.stringValue }
        #expect(hooks.contains("SubagentStart") && hooks.contains("SubagentStop"), "\(hooks)")
        // Usage is reported for the orchestrator's two API calls: the CLI streams none of a
        // foreground sub-agent's (the turn's result counts them).
        let usage = try turn.events(.status).map { try json($0.json) }
        #expect(usage.map { $0["status"] } == ["usage", "usage"] && usage.allSatisfy { $0["parent_tool_use_id"] == nil }, "\(usage)")
        let start = try #require(try turn.events(.hook).map { try json($0.json) }.first { $0["hook_event_name"] == "SubagentStart" })
        #expect(start["input"]?["agent_type"] == "general-purpose" && start["tool_use_id"] == nil && start["tool_name"] == nil)
        // The sub-agent's own tool hooks say which sub-agent it was.
        let inner = try #require(try turn.events(.hook).map { try json($0.json) }.first { $0["tool_use_id"] == "toolu_inner" })
        #expect(inner["input"]?["agent_id"] == start["input"]?["agent_id"])
    }

    /// A sub-agent in the background: the CLI forwards its text as well, while the turn runs.
    /// Both the orchestrator and its sub-agent get the same script (who asks first is a race):
    /// say "Working.", then call the host tool `wait`, which returns once the sub-agent's
    /// text has arrived, so the turn is still running when it does.
    @Test func textFromABackgroundSubAgentNamesItsParentToolUse() async throws {
        let events = Recorder()
        let requests = testRequests()
        requests.register("list_tools") { _, _ in
            Data(#"{"tools":[{"name":"wait","description":"Waits for the sub-agent","input_schema":{"type":"object","properties":{}}}]}"#.utf8)
        }
        requests.register("call_tool") { _, _ in
            _ = await eventually(timeout: .seconds(30)) {
                events.events.contains { $0.kind == .blockFinal && (try? json($0.json))?["parent_tool_use_id"] != nil }
            }
            return Data(#"{"content":[{"type":"text","text":"waited"}],"is_error":false}"#.utf8)
        }
        let harness = try await BackendHarness.start(["tools": .array(["Task"])], requests: requests)
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.toolUse("Task", input: #"{"description":"work","prompt":"Work.","subagent_type":"general-purpose","run_in_background":true}"#,
                                          id: "toolu_background"))
        harness.loopback.enqueue(.toolUse("mcp__orch__wait", input: "{}", saying: "Working."), times: 2)
        let turn = await harness.turn("start a background sub-agent", session: newSession(), recorder: events)
        #expect(turn.value != nil, "\(String(describing: turn.error))")

        let finals = try turn.events(.blockFinal).map { (text: $0.text, json: try json($0.json)) }
        let nested = finals.filter { $0.json["parent_tool_use_id"] != nil }
        #expect(nested.map(\.text).contains("Working."), "\(finals)")
        #expect(nested.allSatisfy { $0.json["parent_tool_use_id"] == "toolu_background" && $0.json["kind"] == "text" })
        #expect(finals.contains { $0.text == "Working." && $0.json["parent_tool_use_id"] == nil }, "the orchestrator's own block is top level")
    }
}

extension SubAgentTests {
    /// A host may interrupt a turn the moment it started it, while its process is still
    /// starting (spawn and `initialize`): the interrupt waits for the turn to be sent.
    @Test func anInterruptWhileTheProcessStartsInterruptsTheTurnOnceSent() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 200, every: .milliseconds(50)))
        async let turn = harness.turn("talk for a long time", session: session)
        #expect(await eventually { (try? await harness.status(of: session))?["running"] == true })
        #expect(try await harness.request(["op": "interrupt", "session_id": .string(session)]) == ["interrupted": true])
        let interrupted = await turn
        #expect(interrupted.error?.code == "interrupted", "\(String(describing: interrupted.error))")
    }

    /// The host prewarms a session and, before the prewarm is done, starts a turn and interrupts
    /// it: the turn waits for the prewarm, and is interrupted once sent.
    @Test func anInterruptOfATurnWaitingBehindAPrewarmInterruptsItOnceSent() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        harness.loopback.enqueue(.slow(words: 200, every: .milliseconds(50)))
        async let prewarm = harness.request(["op": "prewarm", "session_id": .string(session), "working_dir": .string(harness.workingDirectory)])
        #expect(await eventually { harness.pids(of: session).count == 1 })
        async let turn = harness.turn("talk for a long time", session: session)
        #expect(await eventually { (try? await harness.status(of: session))?["queued"] == .int(1) }, "the turn waits behind the prewarm")
        #expect(try await harness.request(["op": "interrupt", "session_id": .string(session)]) == ["interrupted": true])
        let interrupted = await turn
        #expect(interrupted.error?.code == "interrupted", "\(String(describing: interrupted.error))")
        #expect(try await prewarm["prewarmed"] == true)
        // Nothing to interrupt now.
        #expect(try await harness.request(["op": "interrupt", "session_id": .string(session)]) == ["interrupted": false])
    }
}
