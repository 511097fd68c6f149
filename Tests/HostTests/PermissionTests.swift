import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// The permission inbox (docs/permissions.md) with the real Claude CLI on the loopback: agents
/// whose Bash is asked about (`permission_policy = "ask"`), questions answered through the host
/// operations the transports forward, rules, grants, the timeout, interrupts and restarts.
@Suite(.serialized) struct PermissionTests {
    static func marker(_ name: String) -> String { AgentTests.marker(name) }

    /// A host whose agents ask, with agent `name` created and scripted to run `command` then say "done".
    static func askingHost(_ claude: ClaudeSetup, agents names: [String] = ["builder"], command: String = "touch made-by-agent.txt",
                           permissions: String = "", store: String? = nil) async throws -> (TestRuntime, [String]) {
        let host = try await claude.start(store: try store ?? sqliteStore(), permissions: permissions, backendOptions: claude.askingOptions)
        var ids: [String] = []
        for name in names {
            claude.loopback.enqueue(.toolUse("Bash", input: #"{"command":"\#(command)"}"#), forSystemContaining: marker(name))
            claude.loopback.enqueue(.text("done"), forSystemContaining: marker(name))
            let created = try await host.request("create_agent", ["name": .string(name), "system_prompt": .string(AgentTests.prompt(name))])
            ids.append(try #require(created["agent"]?["id"]?.stringValue))
        }
        return (host, ids)
    }

    static func command(_ host: TestRuntime, _ agentID: String, _ text: String = "make the file") async throws {
        _ = try await host.request("command_agent", ["agent_id": .string(agentID), "command": .string(text)])
    }

    /// The pending request of `agentID`, once it is in the inbox.
    static func pending(_ host: TestRuntime, _ agentID: String, timeout: Duration = .seconds(60)) async throws -> JSONValue {
        let found = try await eventuallyValue(timeout: timeout) { () async throws -> JSONValue? in
            elements(try await host.request("inbox")["requests"]).first { $0["agent_id"]?.stringValue == agentID }
        }
        return try #require(found, "no permission request of \(agentID) reached the inbox: \(host.wire.types)")
    }

    static func status(_ host: TestRuntime, _ agentID: String) async throws -> String? {
        try await host.request("get_agent", ["agent_id": .string(agentID)])["agent"]?["status"]?.stringValue
    }

    static func waitIdle(_ host: TestRuntime, _ agentID: String) async throws -> Bool {
        try await eventually(timeout: .seconds(60)) { try await status(host, agentID) == "idle" }
    }

    @Test func aPersonAllowsAndTheToolRunsWhileTheAgentShowsItNeedsThem() async throws {
        let claude = try await ClaudeSetup.start()
        let (host, ids) = try await Self.askingHost(claude)
        let agent = ids[0]
        try await Self.command(host, agent)
        let item = try await Self.pending(host, agent)
        #expect(item["tool_name"] == "Bash" && item["input"]?["command"] == "touch made-by-agent.txt" && item["status"] == "pending", "\(item)")
        #expect(elements(item["suggestions"]).isEmpty == false, "the CLI's suggestions are kept: \(item)")
        #expect(await eventually(timeout: .seconds(10)) { (try? await Self.status(host, agent)) == "needs_input" }, "the agent says it needs a person")
        let event = try #require(host.wire.of(type: "permission_request").first)
        #expect(event["agent_name"] == "builder" && event["request"]?["id"] == item["id"])
        #expect(!FileManager.default.fileExists(atPath: "\(claude.workingDir)/made-by-agent.txt"), "nothing ran before the answer")

        let answered = try await host.request("answer_permission", ["id": item["id"]!, "decision": "allow"])
        #expect(answered["request"]?["status"] == "allowed" && answered["request"]?["decided_by"] == "person")
        #expect(try await Self.waitIdle(host, agent))
        #expect(FileManager.default.fileExists(atPath: "\(claude.workingDir)/made-by-agent.txt"), "the allowed tool ran")
        let states = AgentTests.events(host, "agent_status_changed", agent: agent).compactMap { $0["status"]?.stringValue }
        #expect(states.contains("needs_input") && states.firstIndex(of: "needs_input")! < states.lastIndex(of: "running")!, "\(states)")
        #expect(host.wire.of(type: "permission_resolved").last?["request"]?["status"] == "allowed")
        let log = elements(try await host.request("permission_log")["requests"])
        #expect(log.map { $0["decided_by"] } == ["person"] && log.first?["decision"]?["scope"] == "once", "\(log)")
        #expect(elements(try await host.request("inbox")["requests"]).isEmpty)
        await host.stop()
        await claude.stop()
    }

    @Test func aDenialWithAMessageReachesTheModel() async throws {
        let claude = try await ClaudeSetup.start()
        let (host, ids) = try await Self.askingHost(claude)
        try await Self.command(host, ids[0])
        let item = try await Self.pending(host, ids[0])
        _ = try await host.request("answer_permission", ["id": item["id"]!, "decision": "deny", "message": "not in this directory"])
        #expect(try await Self.waitIdle(host, ids[0]))
        let followUp = claude.loopback.messageRequests.last { $0.system.joined().contains(Self.marker("builder")) }
        let result = try #require(followUp?.messages.flatMap(\.toolResults).last)
        #expect(result.isError && result.text.contains("The person denied Bash: not in this directory"), "\(result.text)")
        #expect(!FileManager.default.fileExists(atPath: "\(claude.workingDir)/made-by-agent.txt"))
        await host.stop()
        await claude.stop()
    }

    @Test func allowingForTheAgentAnswersItsNextRequestWithoutAsking() async throws {
        let claude = try await ClaudeSetup.start()
        let (host, ids) = try await Self.askingHost(claude)
        let agent = ids[0]
        try await Self.command(host, agent)
        let item = try await Self.pending(host, agent)
        _ = try await host.request("answer_permission", ["id": item["id"]!, "decision": "allow", "scope": "agent"])
        #expect(try await Self.waitIdle(host, agent))
        claude.loopback.enqueue(.toolUse("Bash", input: #"{"command":"touch made-by-agent.txt"}"#), forSystemContaining: Self.marker("builder"))
        claude.loopback.enqueue(.text("done again"), forSystemContaining: Self.marker("builder"))
        try await Self.command(host, agent, "make it again")
        #expect(await eventually(timeout: .seconds(60)) { host.wire.of(type: "permission_resolved").count == 2 })
        #expect(try await Self.waitIdle(host, agent))
        #expect(host.wire.of(type: "permission_request").count == 1, "the second use was not asked")
        let log = elements(try await host.request("permission_log")["requests"])
        #expect(log.first?["decided_by"] == "rule" && log.first?["decision"]?["grant"] == "agent", "\(log)")
        await host.stop()
        await claude.stop()
    }

    @Test func rulesAllowAndDenyBeforeAnyoneIsAsked() async throws {
        let claude = try await ClaudeSetup.start()
        let rules = #"allow = ["Bash(git status*)", "Bash(touch ok-*)"]"# + "\n" + #"deny = ["Bash(rm *)"]"#
        let (host, builder) = try await Self.askingHost(claude, agents: ["builder"], command: "touch ok-1.txt", permissions: rules)
        try await Self.command(host, builder[0])
        #expect(try await Self.waitIdle(host, builder[0]))
        #expect(FileManager.default.fileExists(atPath: "\(claude.workingDir)/ok-1.txt"), "touch ok-1.txt was allowed by a rule")

        claude.loopback.enqueue(.toolUse("Bash", input: #"{"command":"rm -f ok-1.txt"}"#), forSystemContaining: Self.marker("cleaner"))
        claude.loopback.enqueue(.text("removed?"), forSystemContaining: Self.marker("cleaner"))
        let cleaner = try #require(try await host.request("create_agent", [
            "name": "cleaner", "system_prompt": .string(AgentTests.prompt("cleaner")),
        ])["agent"]?["id"]?.stringValue)
        try await Self.command(host, cleaner)
        #expect(try await Self.waitIdle(host, cleaner))
        #expect(FileManager.default.fileExists(atPath: "\(claude.workingDir)/ok-1.txt"), "the denied rm did not run")
        #expect(host.wire.of(type: "permission_request").isEmpty, "nobody was asked")
        let log = elements(try await host.request("permission_log")["requests"])
        let decisions = log.compactMap { entry -> String? in
            guard let rule = entry["decision"]?["rule"]?.stringValue, let status = entry["status"]?.stringValue else { return nil }
            return "\(status) by \(rule)"
        }
        #expect(decisions.contains("allowed by Bash(touch ok-*)") && decisions.contains("denied by Bash(rm *)"), "\(log)")
        await host.stop()
        await claude.stop()
    }

    @Test func anUnansweredRequestExpiresAtTheTimeoutAndTheModelIsTold() async throws {
        let claude = try await ClaudeSetup.start()
        let (host, ids) = try await Self.askingHost(claude, permissions: "timeout_s = 1")
        try await Self.command(host, ids[0])
        let item = try await Self.pending(host, ids[0])
        #expect(item["expires_at"]?.stringValue != nil)
        #expect(try await Self.waitIdle(host, ids[0]))
        let log = elements(try await host.request("permission_log")["requests"])
        #expect(log.first?["status"] == "expired" && log.first?["decided_by"] == "timeout", "\(log)")
        let result = claude.loopback.messageRequests.last { $0.system.joined().contains(Self.marker("builder")) }?.messages.flatMap(\.toolResults).last
        #expect(result?.text.contains("No one answered within") == true, "\(result?.text ?? "")")
        // Too late: the answer is refused, naming what happened first.
        await #expect(throws: PluginError.self) { _ = try await host.request("answer_permission", ["id": item["id"]!, "decision": "allow"]) }
        await host.stop()
        await claude.stop()
    }

    @Test func interruptingTheAgentWithdrawsItsQuestion() async throws {
        let claude = try await ClaudeSetup.start()
        let (host, ids) = try await Self.askingHost(claude)
        try await Self.command(host, ids[0])
        let item = try await Self.pending(host, ids[0])
        #expect(try await host.request("interrupt_agent", ["agent_id": .string(ids[0])])["interrupted"] == true)
        #expect(await eventually(timeout: .seconds(30)) { host.wire.of(type: "permission_resolved").last?["request"]?["status"] == "withdrawn" })
        #expect(elements(try await host.request("inbox")["requests"]).isEmpty)
        #expect(await eventually(timeout: .seconds(30)) { (try? await Self.status(host, ids[0])) == "interrupted" })
        do {
            _ = try await host.request("answer_permission", ["id": item["id"]!, "decision": "allow"])
            Issue.record("an answer to a withdrawn request was taken")
        } catch let error as PluginError {
            #expect(error.code == "permission_decided" && error.message.contains("withdrawn by host"), "\(error)")
        }
        await host.stop()
        await claude.stop()
    }

    @Test func aStopLeavesTheQuestionExpiredAndTheAgentInterrupted() async throws {
        let claude = try await ClaudeSetup.start()
        let store = try sqliteStore()
        let (host, ids) = try await Self.askingHost(claude, store: store)
        try await Self.command(host, ids[0])
        let item = try await Self.pending(host, ids[0])
        await host.stop()
        let again = try await claude.start(store: store, backendOptions: claude.askingOptions)
        #expect(elements(try await again.request("inbox")["requests"]).isEmpty, "nothing stays pending across a restart")
        let log = elements(try await again.request("permission_log")["requests"])
        #expect(log.first?["id"] == item["id"] && log.first?["status"] == "expired" && log.first?["decided_by"] == "host", "\(log)")
        #expect(try await Self.status(again, ids[0]) == "interrupted")
        await again.stop()
        await claude.stop()
    }

    @Test func twoWaitingAgentsAreAllowedInOneBatchAndOneRequestIsDecidedOnce() async throws {
        let claude = try await ClaudeSetup.start()
        let (host, ids) = try await Self.askingHost(claude, agents: ["left", "right"])
        for id in ids { try await Self.command(host, id) }
        let items = [try await Self.pending(host, ids[0]), try await Self.pending(host, ids[1])]
        let answers: [JSONValue] = items.map { ["id": $0["id"]!, "decision": "allow"] } + [["id": items[0]["id"]!, "decision": "deny"]]
        let batch = elements(try await host.request("answer_permissions", ["answers": .array(answers)])["results"])
        #expect(batch.map { $0["status"] } == ["success", "success", "error"], "\(batch)")
        #expect(batch.last?["error"]?["code"] == "permission_decided", "the second answer to one request is refused")
        for id in ids { #expect(try await Self.waitIdle(host, id)) }

        // Two people answer one request at the same moment: exactly one wins, the other is told who did.
        claude.loopback.enqueue(.toolUse("Bash", input: #"{"command":"touch again.txt"}"#), forSystemContaining: Self.marker("left"))
        claude.loopback.enqueue(.text("done"), forSystemContaining: Self.marker("left"))
        try await Self.command(host, ids[0], "once more")
        let again = try #require(try await Self.pending(host, ids[0])["id"])
        async let first = Self.outcome { try await host.request("answer_permission", ["id": again, "decision": "allow"]) }
        async let second = Self.outcome { try await host.request("answer_permission", ["id": again, "decision": "deny", "message": "no"]) }
        let outcomes = await [first, second]
        #expect(outcomes.filter { $0 == "success" }.count == 1, "\(outcomes)")
        #expect(outcomes.contains { $0.hasPrefix("permission_decided: permission request \(again.stringValue ?? "") was already ") }, "\(outcomes)")
        for id in ids { #expect(try await Self.waitIdle(host, id)) }
        await host.stop()
        await claude.stop()
    }

    /// "success", or the refusal as "code: message".
    static func outcome(_ answer: () async throws -> JSONValue) async -> String {
        do {
            _ = try await answer()
            return "success"
        } catch let error as PluginError {
            return "\(error.code): \(error.message)"
        } catch {
            return "\(error)"
        }
    }

    @Test func badAnswersAreRefusedByName() async throws {
        let claude = try await ClaudeSetup.start()
        let host = try await claude.start(store: try sqliteStore(), backendOptions: claude.askingOptions)
        let unknown = "01a23d3d-9974-71f8-a366-80f6e09222d8"
        let cases: [([String: JSONValue], String)] = [
            (["decision": "allow"], "invalid_request"),
            (["id": .string(unknown), "decision": "maybe"], "invalid_decision"),
            (["id": .string(unknown), "decision": "deny", "scope": "agent"], "invalid_scope"),
            (["id": .string(unknown), "decision": "allow", "scope": "forever"], "invalid_scope"),
            (["id": .string(unknown), "decision": "deny", "updated_input": ["command": "ls"]], "invalid_updated_input"),
            (["id": .string(unknown), "decision": "allow"], "unknown_permission"),
        ]
        for (arguments, code) in cases {
            do {
                _ = try await host.request("answer_permission", arguments)
                Issue.record("\(arguments) was accepted")
            } catch let error as PluginError {
                #expect(error.code == code, "\(arguments): \(error)")
            }
        }
        await #expect(throws: PluginError.self) { _ = try await host.request("answer_permissions", ["answers": []]) }
        await host.stop()
        await claude.stop()
    }
}
