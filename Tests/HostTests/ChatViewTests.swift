@testable import orch
import Foundation
import PluginAPI
import Testing

/// `orch chat`'s rendering: pure functions of the events, tested without a terminal.
@Suite struct ChatViewTests {
    static let orchestrator = "01a215be-1f62-70c2-a3e0-75a2a4f2792c"

    static func chunk(_ text: String, id: String = "m1", seq: Int64 = 1) -> JSONValue {
        ["seq": .int(seq), "type": "chat_stream", "orchestrator_agent_id": .string(orchestrator), "message_id": .string(id),
         "chunk": .string(text), "is_complete": false]
    }

    static func complete(id: String = "m1", withdrawn: Bool = false) -> JSONValue {
        var fields: [String: JSONValue] = ["seq": 9, "type": "chat_stream", "message_id": .string(id), "chunk": "", "is_complete": true]
        if withdrawn { fields["withdrawn"] = true }
        return .object(fields)
    }

    static func chat(_ text: String, id: String, sender: String = "orchestrator", turn: String = "t1") -> JSONValue {
        ["seq": 2, "type": "orchestrator_chat", "message": ["id": .string(id), "message": .string(text), "sender_type": .string(sender),
                                                            "metadata": ["turn_id": .string(turn)]]]
    }

    static func updated(input: Int64, output: Int64, cost: Double) -> JSONValue {
        ["seq": 10, "type": "orchestrator_updated", "orchestrator": ["id": .string(orchestrator), "input_tokens": .int(input),
                                                                     "output_tokens": .int(output), "total_cost": .double(cost)]]
    }

    @Test func aReplyStreamsChunkByChunkAndIsNotPrintedAgainWhenFinal() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        let printed = [Self.chunk("You"), Self.chunk(" said"), Self.chunk(": hi"), Self.complete(), Self.chat("You said: hi", id: "m1")]
            .map { show($0) }
        #expect(printed == ["You", " said", ": hi", "\n", ""])
    }

    @Test func theTeamShowsAsCommandsResultsAndStateLines() {
        var view = ChatView(style: .plain)
        let command: JSONValue = ["seq": 3, "type": "orchestrator_chat", "message": [
            "id": "c1", "message": "run the tests", "sender_type": "orchestrator", "receiver_type": "agent",
            "metadata": ["type": "agent_command", "agent_name": "tester"]]]
        let result: JSONValue = ["seq": 4, "type": "orchestrator_chat", "message": [
            "id": "r1", "message": "all pass", "sender_type": "agent", "receiver_type": "orchestrator",
            "metadata": ["type": "agent_result", "agent_name": "tester", "outcome": "success"]]]
        let state: JSONValue = ["seq": 5, "type": "agent_status_changed", "name": "tester", "status": "interrupted", "reason": "budget_exceeded"]
        #expect(view.render(command) == "→ tester: run the tests\n")
        #expect(view.render(result) == "← tester (success): all pass\n")
        #expect(view.render(state).contains("· tester interrupted · budget exceeded"))
        #expect(view.render(["seq": 6, "type": "agent_log", "agent_id": "a"]) == "", "an agent's log lines are not chat")
    }

    @Test func aReplyThatWasNotStreamedIsPrintedWhole() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        #expect(show(Self.chat("Done.", id: "m7")) == "Done.\n")
        #expect(show(Self.chat("someone else asks", id: "u2", sender: "user")) == "› someone else asks\n")
        #expect(show(Self.chat("Done.", id: "m7")) == "", "a message is shown once")
    }

    @Test func toolUseThinkingAndResultsTakeOneLineEach() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        let thinking: JSONValue = ["seq": 3, "type": "thinking_block", "data": ["thinking": "First, list the files.\nThen read them."]]
        let tool: JSONValue = ["seq": 4, "type": "tool_use_block", "data": ["tool_name": "Bash", "tool_input": ["command": "ls -la"]]]
        let result: JSONValue = ["seq": 5, "type": "tool_result_block", "data": ["content": "README.md\nSources", "is_error": false]]
        let failed: JSONValue = ["seq": 6, "type": "tool_result_block", "data": ["content": "permission denied", "is_error": true]]
        #expect(show(thinking) == "· thinking: First, list the files. Then read them.\n")
        #expect(show(tool) == #"⚙ Bash {"command":"ls -la"}"# + "\n")
        #expect(show(result) == "  ↳ README.md Sources\n")
        #expect(show(failed) == "  ↳ error: permission denied\n")
        let long: JSONValue = ["seq": 7, "type": "thinking_block", "data": ["thinking": .string(String(repeating: "a", count: 300))]]
        #expect(show(long) == "· thinking: " + String(repeating: "a", count: 99) + "…\n")
    }

    @Test func aStatusLineAfterAChunkStartsOnANewLine() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        _ = view.render(Self.chunk("Let me check"))
        let tool: JSONValue = ["seq": 4, "type": "tool_use_block", "data": ["tool_name": "Read", "tool_input": ["path": "a"]]]
        #expect(show(tool) == "\n" + #"⚙ Read {"path":"a"}"# + "\n")
        #expect(show(Self.chunk("Found it", id: "m2")) == "Found it", "a new block starts at the line start")
    }

    @Test func tokensAndCostAreShownPerTurnAndInTotal() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        #expect(show(Self.updated(input: 3, output: 4, cost: 0.0001)) == "· 3 in / 4 out tokens · $0.0001 total\n")
        #expect(show(Self.updated(input: 1203, output: 54, cost: 0.0124)) == "· 1200 in / 50 out tokens · $0.0123 this turn · $0.0124 total\n")
        var known = ChatView(style: .plain)
        func showKnown(_ event: JSONValue) -> String { known.render(event) }
        known.know(orchestrator: ["input_tokens": 100, "output_tokens": 10, "total_cost": 1.5])
        #expect(showKnown(Self.updated(input: 150, output: 30, cost: 1.75)) == "· 50 in / 20 out tokens · $0.2500 this turn · $1.7500 total\n")
    }

    @Test func outcomesAndErrorsAreSpelledOut() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        #expect(show(["seq": 1, "type": "turn_complete", "status": "success", "turn_id": "t"]) == "")
        #expect(show(["seq": 2, "type": "turn_complete", "status": "interrupted", "turn_id": "t"]) == "(turn interrupted)\n")
        #expect(show(["seq": 3, "type": "turn_queued", "position": 2]) == "(queued: 2 ahead)\n")
        #expect(show(["seq": 4, "type": "error", "message": "the CLI exited", "error_class": "cli_exited"]) == "error: the CLI exited [cli_exited]\n")
        #expect(show(["seq": 5, "type": "error", "message": "interrupted", "error_class": "interrupted"]) == "", "turn_complete says it")
        #expect(show(["type": "error", "code": "message_too_large", "message": "too big"]) == "error: too big [message_too_large]\n")
        #expect(show(["seq": 6, "type": "backend_retry", "detail": ["attempt": 1, "max_retries": 3]]) == "· retrying (attempt 1 of 3)\n")
        #expect(show(["seq": 7, "type": "chat_typing", "is_typing": true]) == "")
        #expect(show(["seq": 8, "type": "something_new"]) == "", "unknown types are ignored")
        #expect(show(Self.chunk("draft")) == "draft")
        #expect(show(Self.complete(withdrawn: true)) == "\n(that draft was withdrawn)\n")
    }

    @Test func historyIsFramedAndSkipsWhatIsAlreadyOnScreen() {
        var view = ChatView(style: .plain)
        func show(_ event: JSONValue) -> String { view.render(event) }
        let messages: [JSONValue] = [
            ["id": "a", "message": "hi", "sender_type": "user"],
            ["id": "b", "message": "Hello!", "sender_type": "orchestrator"],
        ]
        let first = view.history(messages, hasMore: true)
        let again = view.history(messages, hasMore: false)
        let more = view.history(messages + [["id": "c", "message": "later", "sender_type": "orchestrator"]], hasMore: false)
        #expect(first == "── history: 2 messages (older ones not shown) ──\n› hi\nHello!\n──\n")
        #expect(again == "")
        #expect(more == "── history: 1 message ──\nlater\n──\n")
    }

    @Test func coloursOnlyWhenAsked() {
        var view = ChatView(style: .ansi)
        func show(_ event: JSONValue) -> String { view.render(event) }
        #expect(show(["seq": 2, "type": "turn_complete", "status": "failed"]) == "\u{1B}[2m(turn failed)\u{1B}[0m\n")
        var plain = ChatView(style: .plain)
        func showPlain(_ event: JSONValue) -> String { plain.render(event) }
        #expect(!showPlain(["seq": 2, "type": "turn_complete", "status": "failed"]).contains("\u{1B}"))
    }

    @Test func theRunningTurnFollowsTheEvents() {
        var turns = ChatTurns()
        turns.observe(Self.chat("first", id: "u1", sender: "user", turn: "t1"))
        turns.observe(Self.chat("second", id: "u2", sender: "user", turn: "t2"))
        #expect(turns.running == .none && turns.waiting == ["t1", "t2"])
        turns.observe(["type": "chat_typing", "is_typing": true])
        #expect(turns.running == .turn("t1"))
        turns.observe(["type": "turn_complete", "turn_id": "t1"])
        #expect(turns.running == .none)
        turns.observe(["type": "chat_typing", "is_typing": true])
        #expect(turns.running == .turn("t2"))
        turns.observe(["type": "turn_complete", "turn_id": "t2"])
        turns.observe(["type": "chat_typing", "is_typing": true])
        #expect(turns.running == .unknown, "a turn accepted before this client connected")
        turns.observe(["type": "turn_complete", "turn_id": "t0"])
        #expect(!turns.isRunning)
    }

    @Test func ctrlCTwiceWithinTheWindowQuits() {
        var counter = ChatDoublePress()
        let start = ContinuousClock.now
        let presses = [start, start + .seconds(3), start + .seconds(4)].map { counter.press(at: $0) }
        #expect(presses == [false, false, true], "the second press counts only within 2 s of the one before")
    }
}
