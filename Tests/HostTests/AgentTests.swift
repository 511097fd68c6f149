import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// The orchestrator's team on the real Claude Code CLI against the loopback, which
/// scripts the orchestrator's tool calls and each agent's work (one script per
/// session, picked by a marker in its system prompt).
@Suite(.serialized) struct AgentTests {
    /// In the orchestrator's system prompt (config/prompts/orchestrator.md).
    static let orchestrator = "You are the orchestrator of Orch"

    static func prompt(_ name: String) -> String { "You are \(name) [agent-\(name)]. Do what you are asked and report briefly." }
    static func marker(_ name: String) -> String { "[agent-\(name)]" }

    static func createInput(_ name: String, extra: String = "") -> String {
        #"{"name":"\#(name)","system_prompt":"\#(prompt(name))"\#(extra)}"#
    }

    /// The first recorded event of `type` for `agent` that satisfies `match`.
    static func events(_ host: TestRuntime, _ type: String, agent: String? = nil) -> [JSONValue] {
        host.wire.of(type: type).filter { agent == nil || $0["agent_id"]?.stringValue == agent || $0["agent"]?["id"]?.stringValue == agent }
    }

    // MARK: The whole story

    @Test(arguments: EndToEndTests.StoreChoice.allCases)
    func aUserAsksTheOrchestratorCreatesCommandsAndHearsBack(_ choice: EndToEndTests.StoreChoice) async throws {
        let (toml, cleanup) = try EndToEndTests().store(choice)
        defer { cleanup() }
        let claude = try await ClaudeSetup.start()
        let loopback = claude.loopback
        loopback.enqueue(.toolUse("mcp__orch__create_agent", input: Self.createInput("tester")), forSystemContaining: Self.orchestrator)
        loopback.enqueue(.toolUse("mcp__orch__command_agent", input: #"{"agent_name":"tester","command":"run the tests"}"#),
                         forSystemContaining: Self.orchestrator)
        loopback.enqueue(.text("I asked tester to run the tests."), forSystemContaining: Self.orchestrator)
        loopback.enqueue(.text("tester reports that all tests pass."), forSystemContaining: Self.orchestrator)
        loopback.enqueue(.toolUse("Bash", input: #"{"command":"echo hello-from-agent"}"#), forSystemContaining: Self.marker("tester"))
        loopback.enqueue(.text("all tests pass"), forSystemContaining: Self.marker("tester"))
        let host = try await claude.start(store: toml, backendOptions: claude.agentOptions)

        let reply = try await host.send("please get the tests run", wait: true)
        #expect(reply["response"] == "I asked tester to run the tests.")
        // The agent's end is pushed: a result row, then an orchestrator turn that reads it.
        #expect(await eventually(timeout: .seconds(90)) { host.wire.of(type: "turn_complete").count == 2 }, "\(host.wire.types)")
        let agents = try await host.request("list_agents")
        let tester = try #require(elements(agents["agents"]).first)
        let id = try #require(tester["id"]?.stringValue)
        #expect(tester["name"] == "tester" && tester["status"] == "idle", "\(tester)")
        #expect((tester["total_cost"]?.doubleValue ?? 0) > 0 && (tester["output_tokens"]?.intValue ?? 0) > 0, "tokens and cost are kept: \(tester)")
        // How full its context is: the input of its last API call, on the card and in the update at the command's end.
        let context = try #require(tester["context_tokens"]?.intValue, "\(tester)")
        #expect(context > 0 && Self.events(host, "agent_updated", agent: id).last?["agent"]?["context_tokens"]?.intValue == context)
        #expect(tester["counts"]?["tools"] == 1 && tester["counts"]?["hooks"]?.intValue ?? 0 >= 2, "\(tester)")

        // orchestrator_chat in all four directions, in conversation order.
        let rows = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages
        let directions = rows.map { "\($0.sender.rawValue)→\($0.receiver.rawValue)" }
        #expect(directions == ["user→orchestrator", "orchestrator→agent", "orchestrator→user", "agent→orchestrator", "orchestrator→user"]
            || directions == ["user→orchestrator", "orchestrator→agent", "agent→orchestrator", "orchestrator→user", "orchestrator→user"], "\(directions)")
        let command = try #require(rows.first { $0.receiver == .agent })
        let result = try #require(rows.first { $0.sender == .agent })
        #expect(command.message == "run the tests" && command.agentID == id && command.metadata["type"] == "agent_command")
        #expect(result.message == "all tests pass" && result.agentID == id && result.metadata["outcome"] == "success")
        #expect(result.metadata["turn_id"] == command.metadata["turn_id"])
        #expect(rows.last?.message == "tester reports that all tests pass.")
        let notified = try #require(loopback.messageRequests.last { $0.system.joined().contains(Self.orchestrator) })
        #expect(notified.lastUserText?.contains("[agent tester · success] all tests pass") == true, "\(notified.lastUserText ?? "")")

        // agent_logs: gap-free seq, the turn id, the tool's hooks in order around its result.
        let page = try await host.request("agent_logs", ["agent_id": .string(id)])
        let logs = elements(page["logs"])
        #expect(logs.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(logs.count)), "gap-free: \(logs.map { $0["seq"] })")
        #expect(logs.allSatisfy { $0["turn_id"] == command.metadata["turn_id"] })
        let kinds = logs.map { "\($0["event_category"]?.stringValue ?? "")/\($0["event_type"]?.stringValue ?? "")" }
        let order = ["response/tool_use", "hook/PreToolUse", "hook/PostToolUse", "response/tool_result", "response/text"]
        #expect(order.compactMap { kinds.firstIndex(of: $0) } == order.compactMap { kinds.firstIndex(of: $0) }.sorted() && order.allSatisfy(kinds.contains),
                "\(kinds)")
        #expect(logs.contains { $0["event_type"] == "tool_result" && ($0["content"]?.stringValue ?? "").contains("hello-from-agent") })
        // Each row was published once, after it was saved, with its seq.
        #expect(Self.events(host, "agent_log", agent: id).map { $0["log"]?["seq"]?.intValue ?? 0 } == logs.map { $0["seq"]?.intValue ?? 0 })
        let states = Self.events(host, "agent_status_changed", agent: id).map { $0["status"]?.stringValue ?? "" }
        #expect(states.first == "idle" || states.first == "running", "\(states)")
        #expect(states.contains("running") && states.last == "idle", "\(states)")
        await host.stop()
        await claude.stop()
    }

    // MARK: Limits

    @Test func aThirdCommandWaitsForARunSlotAndRunsAfter() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), agents: "max_running = 2", backendOptions: claude.agentOptions)
        for name in ["a1", "a2", "a3"] {
            claude.loopback.enqueue(.slow(words: 30, every: .milliseconds(40)), forSystemContaining: Self.marker(name))
            _ = try await host.request("create_agent", ["name": .string(name), "system_prompt": .string(Self.prompt(name))])
        }
        var accepted: [JSONValue] = []
        for name in ["a1", "a2", "a3"] {
            let id = try #require(try await host.request("get_agent", ["agent_id": .string(name)])["agent"]?["id"])
            accepted.append(try await host.request("command_agent", ["agent_id": id, "command": "count slowly"]))
        }
        #expect(accepted.map { $0["position"] } == [0, 0, 1], "\(accepted)")
        #expect(await eventually(timeout: .seconds(30)) {
            host.wire.of(type: "agent_queue").contains { elements($0["queue"]).first?["name"] == "a3" && $0["running"] == 2 }
        })
        #expect(await eventually(timeout: .seconds(30)) { Self.events(host, "agent_status_changed").contains { $0["name"] == "a3" && $0["status"] == "queued" } })
        #expect(await eventually(timeout: .seconds(90)) {
            ["a1", "a2", "a3"].allSatisfy { name in Self.events(host, "agent_status_changed").filter { $0["name"] == .string(name) }.last?["status"] == "idle" }
                && host.wire.of(type: "orchestrator_chat").filter { $0["message"]?["sender_type"] == "agent" }.count == 3
        })
        // Never more than two running at once, and a3 started only after one of the others ended.
        var running = 0, peak = 0
        for event in Self.events(host, "agent_status_changed") {
            if event["status"] == "running" { running += 1 }
            if event["previous"] == "running" { running -= 1 }
            peak = max(peak, running)
        }
        #expect(peak == 2)
        await host.stop()
        await claude.stop()
    }

    @Test func ifBusyQueuesInterruptsOrRejects() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.agentOptions)
        let mark = Self.marker("busy")
        claude.loopback.enqueue(.slow(words: 400, every: .milliseconds(50)), forSystemContaining: mark)
        claude.loopback.enqueue(.text("second done"), forSystemContaining: mark)
        claude.loopback.enqueue(.text("third done"), forSystemContaining: mark)
        let id = try #require(try await host.request("create_agent", ["name": "busy", "system_prompt": .string(Self.prompt("busy"))])["agent"]?["id"])
        _ = try await host.request("command_agent", ["agent_id": id, "command": "talk for a long time"])
        // Its turn reached the model: the slow reply is the first command's.
        #expect(await eventually(timeout: .seconds(60)) { claude.loopback.messageRequests.contains { $0.system.joined().contains(mark) } })

        await #expect { _ = try await host.request("command_agent", ["agent_id": id, "command": "now", "if_busy": "reject"]) } throws: { error in
            let failure = PluginError(error)
            return failure.code == "agent_busy" && failure.message.contains("busy is busy with \"talk for a long time\"")
        }
        let queued = try await host.request("command_agent", ["agent_id": id, "command": "then this", "if_busy": "queue"])
        #expect(queued["position"] == 1)
        let jumped = try await host.request("command_agent", ["agent_id": id, "command": "this first", "if_busy": "interrupt"])
        #expect(jumped["position"] == 1, "it runs next, ahead of the queued one")
        #expect(await eventually(timeout: .seconds(60)) {
            host.wire.of(type: "orchestrator_chat").filter { $0["message"]?["sender_type"] == "agent" }.count == 3
        })
        let results = try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages.filter { $0.sender == .agent }
        #expect(results.map { $0.metadata["outcome"] } == ["interrupted", "success", "success"], "\(results.map(\.metadata))")
        #expect(results.first?.metadata["error_class"] == "superseded")
        #expect(results.dropFirst().map(\.message) == ["second done", "third done"], "the interrupting command ran first")
        await host.stop()
        await claude.stop()
    }

    // MARK: Budgets

    @Test func aCommandOverBudgetIsInterruptedMidTurnAndFurtherCommandsAreRefused() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.agentOptions)
        let mark = Self.marker("spender")
        // 100,000 output tokens of a Sonnet model cost about $1.50: far over a one-cent budget, after the first API call.
        var expensive = Reply.toolUse("Bash", input: #"{"command":"sleep 5; echo late"}"#)
        expensive.usage = .init(input: 10, output: 100_000)
        claude.loopback.enqueue(expensive, forSystemContaining: mark)
        claude.loopback.enqueue(.text("should never be asked"), forSystemContaining: mark)
        let id = try #require(try await host.request("create_agent", [
            "name": "spender", "system_prompt": .string(Self.prompt("spender")), "budget_usd": 0.01,
        ])["agent"]?["id"])
        _ = try await host.request("command_agent", ["agent_id": id, "command": "spend"])
        #expect(await eventually(timeout: .seconds(60)) {
            Self.events(host, "agent_status_changed").contains { $0["status"] == "interrupted" && $0["reason"] == "budget_exceeded" }
        }, "\(Self.events(host, "agent_status_changed"))")
        let agent = try await host.request("get_agent", ["agent_id": id])["agent"]
        #expect(agent?["status"] == "interrupted" && agent?["reason"] == "budget_exceeded")
        await #expect { _ = try await host.request("command_agent", ["agent_id": id, "command": "more"]) } throws: { error in
            let failure = PluginError(error)
            return failure.code == "budget_exceeded" && failure.message.contains("of its $0.0100 budget")
        }
        #expect(claude.loopback.messageRequests.filter { $0.system.joined().contains(mark) }.count == 1, "no API call after the budget ran out")
        await host.stop()
        await claude.stop()
    }

    // MARK: Stop and failures

    @Test func deletingARunningAgentLeavesNoProcess() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.agentOptions)
        claude.loopback.enqueue(.slow(words: 400, every: .milliseconds(50)), forSystemContaining: Self.marker("doomed"))
        let id = try #require(try await host.request("create_agent", ["name": "doomed", "system_prompt": .string(Self.prompt("doomed"))])["agent"]?["id"])
        _ = try await host.request("command_agent", ["agent_id": id, "command": "talk"])
        let session = try await Self.process(of: id, in: host)
        let pid = try #require(session?["pid"]?.intValue)
        let deleted = try await host.request("delete_agent", ["agent_id": id])
        #expect(deleted["deleted"] == true && deleted["agent"]?["status"] == "archived")
        let gone = kill(pid_t(pid), 0) == -1 && errno == ESRCH
        #expect(gone, "the agent's CLI \(pid) is gone when delete_agent answers: \(String(describing: session)) \((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8).prefix(300)) ?? "")")
        let states = Self.events(host, "agent_status_changed", agent: id.stringValue).map { $0["status"]?.stringValue ?? "" }
        #expect(Array(states.suffix(3)) == ["interrupted", "stopped", "archived"] || Array(states.suffix(2)) == ["stopped", "archived"], "\(states)")
        #expect(Self.events(host, "agent_deleted").count == 1)
        await #expect { _ = try await host.request("get_agent", ["agent_id": id]) } throws: { PluginError($0).code == "unknown_agent" }
        // The name is free again.
        _ = try await host.request("create_agent", ["name": "doomed", "system_prompt": .string(Self.prompt("doomed"))])
        await host.stop()
        await claude.stop()
    }

    @Test func anAgentWhoseCLIDiesFailsWithItsReasonAndKeepsWhatItWrote() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.agentOptions)
        let mark = Self.marker("fragile")
        claude.loopback.enqueue(Reply(blocks: [.text("first block done")]), forSystemContaining: mark)
        claude.loopback.enqueue(.slow(words: 400, every: .milliseconds(50)), forSystemContaining: mark)
        let id = try #require(try await host.request("create_agent", ["name": "fragile", "system_prompt": .string(Self.prompt("fragile"))])["agent"]?["id"])
        _ = try await host.request("command_agent", ["agent_id": id, "command": "warm up"])
        #expect(await eventually(timeout: .seconds(60)) { Self.events(host, "orchestrator_chat").contains { $0["message"]?["sender_type"] == "agent" } })
        _ = try await host.request("command_agent", ["agent_id": id, "command": "talk"])
        let session = try await Self.process(of: id, in: host)
        let pid = try #require(session?["pid"]?.intValue)
        #expect(await eventually(timeout: .seconds(30)) { claude.loopback.messageRequests.filter { $0.system.joined().contains(mark) }.count == 2 })
        kill(pid_t(pid), SIGKILL)
        #expect(await eventually(timeout: .seconds(60)) {
            Self.events(host, "orchestrator_chat").contains { $0["message"]?["metadata"]?["outcome"] == "failed" }
        })
        let failed = try #require(Self.events(host, "agent_status_changed").last { $0["status"] == "failed" })
        #expect(failed["reason"] == "cli_exited", "\(failed)")
        let result = try #require(try await host.store.chatHistory(orchestratorID: host.orchestratorID).messages.last { $0.sender == .agent })
        #expect(result.metadata["outcome"] == "failed" && result.metadata["error_class"] == "cli_exited")
        #expect(result.message.hasPrefix("fragile failed (cli_exited)"), "\(result.message)")
        // The next command starts a new process on the same session.
        claude.loopback.enqueue(.text("back again"), forSystemContaining: mark)
        _ = try await host.request("command_agent", ["agent_id": id, "command": "again"])
        #expect(await eventually(timeout: .seconds(60)) {
            Self.events(host, "orchestrator_chat").contains { $0["message"]?["message"] == "back again" }
        })
        await host.stop()
        await claude.stop()
    }

    @Test func aHostKilledMidCommandRestartsWithoutGhostsAndResumesTheSession() async throws {
        let claude = try await ClaudeSetup.start()
        let directory = try Paths.temporaryDirectory()
        let mark = Self.marker("worker")
        claude.loopback.enqueue(.text("noted"), forSystemContaining: mark)
        claude.loopback.enqueue(.slow(words: 600, every: .milliseconds(50)), forSystemContaining: mark)
        let host = try await claude.host(in: directory, agents: "max_running = 1", backendOptions: claude.agentOptions)
        let client = try host.connect()
        let created = try await client.ask(["type": "create_agent", "name": "worker", "system_prompt": .string(Self.prompt("worker"))])
        let id = try #require(created?["agent"]?["id"])
        _ = try await client.ask(["type": "command_agent", "agent_id": id, "command": "remember the word kiwi"])
        #expect(await client.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "orchestrator_chat" && $0["message"]?["sender_type"] == "agent" } })
        let session = try #require(try await client.ask(["type": "get_agent", "agent_id": id])?["agent"]?["session_id"]?.stringValue)
        _ = try await client.ask(["type": "command_agent", "agent_id": id, "command": "talk for a long time"])
        let waiting = try await client.ask(["type": "command_agent", "agent_id": id, "command": "and then this"])
        #expect(waiting?["position"] == 1)
        // The long command reached the model (the slow reply is streaming) when orch dies.
        #expect(await eventually(timeout: .seconds(60)) { claude.loopback.messageRequests.filter { $0.system.joined().contains(mark) }.count == 2 })
        host.orch.terminate(signal: SIGKILL)
        _ = await host.orch.exitStatus()

        let restarted = try await claude.host(in: directory, agents: "max_running = 1", backendOptions: claude.agentOptions)
        let reader = try restarted.connect()
        let agent = try #require(try await reader.ask(["type": "get_agent", "agent_id": id])?["agent"])
        #expect(agent["status"] == "interrupted" && agent["reason"] == "host_restarted", "no ghost: \(agent)")
        #expect(restarted.orch.stderr.contains("agent worker was running when orch stopped"), "\(restarted.orch.stderr.suffix(1500))")
        let history = elements(try await reader.ask(["type": "load_chat", "orchestrator_agent_id": .string(restarted.orchestratorID)], reply: "chat_history")?["messages"])
        let dropped = history.filter { $0["metadata"]?["outcome"] == "dropped" }
        #expect(dropped.count == 2, "the interrupted command and the one waiting behind it are reported: \(history.map { $0["message"] })")
        #expect(dropped.allSatisfy { $0["metadata"]?["error_class"] == "host_restarted" && $0["sender_type"] == "agent" })
        // Its session resumes: the next command continues the same conversation.
        claude.loopback.enqueue(.text("the word was kiwi"), forSystemContaining: mark)
        _ = try await reader.ask(["type": "command_agent", "agent_id": id, "command": "what was the word?"])
        #expect(await reader.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "orchestrator_chat" && $0["message"]?["message"] == "the word was kiwi" } },
                "\(restarted.orch.stderr.suffix(3000))")
        let resumed = try #require(claude.loopback.messageRequests.last { $0.system.joined().contains(mark) })
        #expect(resumed.messages.contains { $0.texts.contains { $0.contains("remember the word kiwi") } }, "the resumed session has the earlier command")
        let after = try #require(try await reader.ask(["type": "get_agent", "agent_id": id])?["agent"])
        #expect(after["session_id"] == .string(session))
        #expect(await restarted.stop() == 0)
        await claude.stop()
    }

    /// The agent's session in the backend's status, once its process has a pid.
    static func process(of agent: JSONValue, in host: TestRuntime) async throws -> JSONValue? {
        let session = try await host.request("get_agent", ["agent_id": agent])["agent"]?["session_id"]
        return try await eventuallyValue(timeout: .seconds(60)) { () async throws -> JSONValue? in
            elements(try await host.backendRequest("status")["sessions"]).first { $0["session_id"] == session && $0["pid"]?.intValue != nil }
        }
    }

    // MARK: Mistakes

    @Test func mistakesGetSpecificErrorsTheModelCanActOn() async throws {
        let claude = try await ClaudeSetup.start()
        let templates = URL(fileURLWithPath: claude.workingDir).appendingPathComponent(".claude/agents")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try "no front matter here".write(to: templates.appendingPathComponent("broken.md"), atomically: true, encoding: .utf8)
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.agentOptions)
        func tool(_ name: String, _ input: JSONValue) async throws -> (text: String, isError: Bool) {
            let reply = try await host.request("call_tool", ["name": .string(name), "input": input])
            return (elements(reply["content"]).first?["text"]?.stringValue ?? "", reply["is_error"] == true)
        }
        let missing = try await tool("command_agent", ["agent_name": "ghost", "command": "hi"])
        #expect(missing.isError && missing.text == "no agent is called \"ghost\"; there are none yet: create one with create_agent")
        let template = try await tool("create_agent", ["name": "t", "template": "reviewer"])
        #expect(template.isError && template.text.hasPrefix("no agent template is called \"reviewer\"; "), "a broken template does not hide the answer: \(template.text)")
        try "---\nname: reviewer\ndescription: reviews\ntools: Read, Grep\nmodel: claude-haiku-4-5\n---\nYou review code.".write(
            to: templates.appendingPathComponent("reviewer.md"), atomically: true, encoding: .utf8)
        let reviewer = try await tool("create_agent", ["name": "rev", "template": "reviewer"])
        #expect(!reviewer.isError, "\(reviewer.text)")
        let reviewerAgent = try await host.request("get_agent", ["agent_id": "rev"])["agent"]
        #expect(reviewerAgent?["model"] == "claude-haiku-4-5")
        let broken = try await tool("create_agent", ["name": "t", "template": "broken"])
        #expect(broken.isError && broken.text.contains("broken.md has no front matter"), "\(broken.text)")
        let made = try await tool("create_agent", ["name": "dup", "system_prompt": "x"])
        #expect(!made.isError, "\(made.text)")
        let duplicate = try await tool("create_agent", ["name": "dup", "system_prompt": "x"])
        #expect(duplicate.isError && duplicate.text.contains("an agent called \"dup\" already exists"))
        let empty = try await tool("command_agent", ["agent_name": "dup", "command": "   "])
        #expect(empty.isError && empty.text == "the command is empty; say what dup should do")
        let noPrompt = try await tool("create_agent", ["name": "mute"])
        #expect(noPrompt.isError && noPrompt.text.hasPrefix("give the agent a system_prompt"))
        let badBusy = try await tool("command_agent", ["agent_name": "dup", "command": "x", "if_busy": "shove"])
        #expect(badBusy.isError && badBusy.text == "if_busy is \"shove\"; use queue, interrupt or reject")
        let logs = try await tool("read_system_logs", ["level": "INFO", "limit": 5])
        #expect(!logs.isError && logs.text.contains("\"has_more\""), "\(logs.text)")
        let loud = try await tool("read_system_logs", ["level": "LOUD"])
        #expect(loud.isError && loud.text.contains("LOUD"), "\(loud.text)")
        let unknown = try await tool("launch_rockets", [:])
        #expect(unknown.isError && unknown.text.hasPrefix("there is no tool launch_rockets"))
        await #expect { _ = try await host.request("get_agent", ["agent_id": "nobody"]) } throws: { PluginError($0).code == "unknown_agent" }
        await host.stop()
        await claude.stop()
    }

    @Test func theManagementToolsAreTheOrchestratorsAlone() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.agentOptions)
        claude.loopback.enqueue(.text("hi"), forSystemContaining: Self.marker("solo"))
        let id = try #require(try await host.request("create_agent", ["name": "solo", "system_prompt": .string(Self.prompt("solo"))])["agent"]?["id"])
        _ = try await host.request("command_agent", ["agent_id": id, "command": "hello"])
        #expect(await eventually(timeout: .seconds(60)) { Self.events(host, "orchestrator_chat").contains { $0["message"]?["sender_type"] == "agent" } })
        let agentRequest = try #require(claude.loopback.messageRequests.first { $0.system.joined().contains(Self.marker("solo")) })
        #expect(!agentRequest.toolNames.contains { $0.hasPrefix("mcp__orch__") }, "an agent gets no management tools: \(agentRequest.toolNames)")
        _ = try await host.send("hello", wait: true)
        let orchestratorRequest = try #require(claude.loopback.messageRequests.last { $0.system.joined().contains(Self.orchestrator) })
        #expect(orchestratorRequest.toolNames.contains("mcp__orch__create_agent") && orchestratorRequest.toolNames.contains("mcp__orch__wait_agents"))
        await host.stop()
        await claude.stop()
    }

    // MARK: Many at once

    @Test func twentyAgentsCommandedAtOnceLoseNoLogRow() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), agents: "max_running = 20\nmax_agents = 20", backendOptions: claude.agentOptions)
        let names = (1...20).map { "w\($0)" }
        for name in names { claude.loopback.enqueue(.thinking("thinking as \(name)", then: "done by \(name)"), forSystemContaining: Self.marker(name)) }
        let ids = try await withThrowingTaskGroup(of: JSONValue.self) { group in
            for name in names {
                group.addTask { try #require(try await host.request("create_agent", ["name": .string(name), "system_prompt": .string(Self.prompt(name))])["agent"]?["id"]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { _ = try await host.request("command_agent", ["agent_id": id, "command": "go"]) } }
            try await group.waitForAll()
        }
        #expect(await eventually(timeout: .seconds(180)) {
            Self.events(host, "orchestrator_chat").filter { $0["message"]?["sender_type"] == "agent" }.count == 20
        })
        for id in ids {
            let logs = elements(try await host.request("agent_logs", ["agent_id": id])["logs"])
            #expect(logs.map { $0["event_type"]?.stringValue ?? "" }.filter { $0 == "thinking" || $0 == "text" } == ["thinking", "text"], "\(logs)")
            #expect(logs.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(logs.count)))
            #expect(Self.events(host, "agent_log", agent: id.stringValue).count == logs.count, "every saved row was published")
        }
        await host.stop()
        await claude.stop()
    }
}

/// Polls until `value` returns something, for up to `timeout`.
func eventuallyValue<T>(timeout: Duration, _ value: () async throws -> T?) async throws -> T? {
    var found: T?
    _ = try await eventually(timeout: timeout) { () async throws -> Bool in
        found = try await value()
        return found != nil
    }
    return found
}
