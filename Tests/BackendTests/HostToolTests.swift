import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// Tools the host registers, served to the CLI as the in-process MCP server
/// "orch", and the permission policy for the CLI's own tools.
@Suite(.serialized) struct HostToolTests {
    /// A host with one tool, `add {a, b}`, that records its calls; with `onlyFor`, only
    /// that session gets the tool (the others get none).
    final class AddTool: @unchecked Sendable {
        let requests = testRequests()
        private let lock = NSLock()
        private var recorded: [JSONValue] = []
        private var listed: [JSONValue] = []
        var calls: [JSONValue] { lock.withLock { recorded } }
        /// The `list_tools` requests, in order.
        var lists: [JSONValue] { lock.withLock { listed } }

        init(failing: Bool = false, onlyFor session: String? = nil) {
            requests.register("list_tools") { [self] request, _ in
                let list = try json(request.json)
                lock.withLock { listed.append(list) }
                if let session, list["session_id"]?.stringValue != session { return Data(#"{"tools":[]}"#.utf8) }
                return Data(#"{"tools":[{"name":"add","description":"Adds two integers","input_schema":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}]}"#.utf8)
            }
            requests.register("call_tool") { [self] request, _ in
                let call = try json(request.json)
                lock.withLock { recorded.append(call) }
                if failing { throw PluginError.unavailable("agents_unavailable", "the agent registry is not running") }
                let sum = (call["input"]?["a"]?.intValue ?? 0) + (call["input"]?["b"]?.intValue ?? 0)
                return try JSON.encode(["content": JSONValue.array([.object(["type": .string("text"), "text": .string("\(sum)")])]),
                                        "is_error": .bool(false)])
            }
        }
    }

    @Test func theAgentCallsAHostToolAndGetsItsResult() async throws {
        let tool = AddTool()
        let harness = try await BackendHarness.start(requests: tool.requests)
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.toolUse("mcp__orch__add", input: #"{"a":2,"b":3}"#, id: "toolu_add1", saying: "Let me add."))
        harness.loopback.enqueue(.text("The sum is 5."))
        let session = newSession()
        let turn = await harness.turn("what is 2+3?", session: session, turnID: "turn-add")

        let result = try #require(turn.value, "\(String(describing: turn.error))")
        #expect(result["num_turns"] == .int(2))
        #expect(turn.finalTexts == ["Let me add.", "The sum is 5."])
        let use = try json(try #require(turn.events(.toolUse).first).json)
        #expect(use == .object(["id": .string("toolu_add1"), "name": .string("mcp__orch__add"),
                                "input": .object(["a": .int(2), "b": .int(3)])]))
        let toolResult = try json(try #require(turn.events(.toolResult).first).json)
        #expect(toolResult["tool_use_id"] == .string("toolu_add1"))
        #expect(toolResult["is_error"] == .bool(false))
        #expect(toolResult["content"] == .array([.object(["type": .string("text"), "text": .string("5")])]))
        // Events in the order the agent worked.
        let kinds = turn.events.map(\.kind).filter { $0 != .textDelta && $0 != .hook && $0 != .status }
        #expect(kinds == [.blockFinal, .toolUse, .toolResult, .blockFinal])
        // One usage report per API call.
        #expect(try turn.events(.status).map { try json($0.json)["status"] } == ["usage", "usage"])

        // The host learns whose call it is: the session, the running turn, the model's tool_use id.
        #expect(tool.lists == [["op": "list_tools", "session_id": .string(session)]])
        #expect(tool.calls == [["op": "call_tool", "name": "add", "input": ["a": 2, "b": 3], "session_id": .string(session),
                                "turn_id": "turn-add", "tool_use_id": "toolu_add1"]])
        let requests = harness.loopback.messageRequests
        #expect(requests.count == 2)
        #expect(requests.first?.toolNames == ["mcp__orch__add"])
        let sent = try #require(requests.last?.messages.last?.toolResults.first)
        #expect(sent.toolUseID == "toolu_add1" && sent.text == "5" && !sent.isError)
    }

    @Test func aFailingHostToolBecomesAnErrorResultTheAgentCanRead() async throws {
        let tool = AddTool(failing: true)
        let harness = try await BackendHarness.start(requests: tool.requests)
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.toolUse("mcp__orch__add", input: #"{"a":2,"b":3}"#, id: "toolu_add2"))
        harness.loopback.enqueue(.text("The tool failed."))
        let turn = await harness.turn("what is 2+3?", session: newSession())

        #expect(turn.value != nil, "\(String(describing: turn.error))")
        let toolResult = try json(try #require(turn.events(.toolResult).first).json)
        #expect(toolResult["is_error"] == .bool(true))
        let sent = try #require(harness.loopback.messageRequests.last?.messages.last?.toolResults.first)
        #expect(sent.isError && sent.text == "The tool add failed: the agent registry is not running")
    }

    @Test func theHostServesToolsPerSession() async throws {
        let agent = newSession(), other = newSession()
        let tool = AddTool(onlyFor: agent)
        let harness = try await BackendHarness.start(requests: tool.requests)
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.toolUse("mcp__orch__add", input: #"{"a":4,"b":5}"#, id: "toolu_add4"))
        harness.loopback.enqueue(.text("Nine."))
        let first = await harness.turn("add 4 and 5", session: agent)
        #expect(first.value != nil, "\(String(describing: first.error))")
        #expect(harness.loopback.messageRequests.first?.toolNames == ["mcp__orch__add"])
        let before = harness.loopback.messageRequests.count

        let second = await harness.turn("hi", session: other)
        #expect(second.value != nil, "\(String(describing: second.error))")
        let otherRequests = harness.loopback.messageRequests.dropFirst(before)
        #expect(otherRequests.count == 1)
        #expect(otherRequests.allSatisfy { !$0.toolNames.contains { $0.hasPrefix("mcp__orch__") } }, "\(otherRequests.map(\.toolNames))")
        #expect(tool.lists.map { $0["session_id"] } == [.string(agent), .string(other)])
        #expect(tool.calls.map { $0["session_id"] } == [.string(agent)])
    }

    @Test func withoutHostToolsTheCLIGetsNoToolServer() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.value != nil, "\(String(describing: turn.error))")
        #expect(harness.loopback.messageRequests.first?.toolNames == [])
    }

    @Test(arguments: ["deny", "allow"])
    func thePermissionPolicyAnswersTheCLIsPermissionQuestions(policy: String) async throws {
        let harness = try await BackendHarness.start(["tools": .array([.string("Write")]), "permission_policy": .string(policy)])
        defer { Task { await harness.stop() } }
        let file = URL(fileURLWithPath: harness.workingDirectory).appendingPathComponent("note.txt").path
        harness.loopback.enqueue(.toolUse("Write", input: #"{"file_path":"\#(file)","content":"written by the agent"}"#, id: "toolu_write"))
        harness.loopback.enqueue(.text("Done."))
        let turn = await harness.turn("write a note", session: newSession())

        #expect(turn.value != nil, "\(String(describing: turn.error))")
        let sent = try #require(harness.loopback.messageRequests.last?.messages.last?.toolResults.first)
        if policy == "deny" {
            #expect(sent.isError)
            #expect(sent.text == #"Orch denied Write: it is not in allowed_tools and permission_policy is "deny". Ask the user to allow it in [backend.options]."#)
            #expect(!FileManager.default.fileExists(atPath: file))
            #expect(harness.logs.messages.contains { $0.contains(#"denied Write by permission_policy = "deny""#) })
        } else {
            #expect(!sent.isError, "\(sent.text)")
            #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "written by the agent")
        }
    }

    @Test func anAgentThatReachesMaxTurnsStopsWithThatClass() async throws {
        let tool = AddTool()
        let harness = try await BackendHarness.start(["max_turns": .int(1)], requests: tool.requests)
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.toolUse("mcp__orch__add", input: #"{"a":1,"b":1}"#, id: "toolu_add3"))
        let turn = await harness.turn("keep adding", session: newSession())
        #expect(turn.error == PluginError(.cancelled, code: "max_turns",
            "the agent stopped after max_turns tool rounds (Reached maximum number of turns (1)); raise max_turns in [backend.options] or send a follow-up message",
            retryable: false))
        // The tool ran before the limit stopped the agent.
        #expect(tool.calls.count == 1)
        #expect(turn.events(.toolResult).count == 1)
    }
}
