import Foundation
import PluginAPI
import StoreModel

/// The tools the host serves to the orchestrator's session (never to an agent's): how
/// the model creates, commands, watches and stops its team. Each answer is JSON text
/// the model reads; a mistake is an `is_error` result saying what to do instead.
struct ManagementTools: Sendable {
    let agents: AgentManager
    /// The orchestrator's own record and totals, for `report_cost`.
    let orchestrator: @Sendable () async -> OrchestratorRecord

    static let definitions: [JSONValue] = [
        tool("create_agent", "Create a named sub-agent: its own Claude Code session with its own system prompt, working in the project directory. Give system_prompt, or template (a file in .claude/agents/). It starts idle; send it work with command_agent.", [
            "name": string("Short unique name, e.g. \"tester\" (letters, digits, - _ .)"),
            "system_prompt": string("What the agent is for and how it should work"),
            "template": string("Name of an agent template in .claude/agents/ (its prompt, tools and model)"),
            "model": string("Model for this agent; default: the configured agents' model"),
            "allowed_tools": stringArray("Tools it may use without asking, e.g. [\"Read\", \"Bash(git status*)\"]"),
            "disallowed_tools": stringArray("Tools it may never use"),
            "budget_usd": number("Spend limit in US dollars; at the limit its command is interrupted"),
            "max_turns": integer("Most model round trips per command"),
        ], required: ["name"]),
        tool("list_agents", "List your agents with their status, current command, queue and spend.", [:], required: []),
        tool("command_agent", "Send an agent work. Returns at once with a turn_id; you are told in the chat when it finishes (or use wait_agents). If it is busy: if_busy = queue (default, runs after), interrupt (stops the current command first) or reject.", [
            "agent_name": string("The agent's name"),
            "command": string("What it should do, with all the context it needs"),
            "if_busy": ["type": "string", "enum": ["queue", "interrupt", "reject"], "description": "What to do if it is running a command"],
        ], required: ["agent_name", "command"]),
        tool("check_agent_status", "An agent's status, spend and latest activity (its log: tools, replies, hooks).", [
            "agent_name": string("The agent's name"),
            "since_seq": integer("Only log entries after this seq (from a previous call)"),
            "tail": integer("How many latest log entries (default 10, at most 100)"),
            "verbose": ["type": "boolean", "description": "Whole log entries instead of shortened ones"],
        ], required: ["agent_name"]),
        tool("wait_agents", "Wait until agents have finished their commands: mode any (the first to finish) or all. Returns their status and last result, or says which are still running when timeout_s passes.", [
            "names": stringArray("Agent names"),
            "mode": ["type": "string", "enum": ["any", "all"], "description": "any (default) or all"],
            "timeout_s": integer("Longest wait in seconds (default 300, at most 1800)"),
        ], required: ["names"]),
        tool("interrupt_agent", "Stop an agent's running command; it stays, idle, and its waiting commands run next.", [
            "agent_name": string("The agent's name"),
        ], required: ["agent_name"]),
        tool("delete_agent", "Stop an agent for good (its process ends) and remove it from the team; its waiting commands are dropped.", [
            "agent_name": string("The agent's name"),
        ], required: ["agent_name"]),
        tool("read_system_logs", "Read Orch's system log, newest first: turns that failed, agents' state changes, store outages. Filter by text or level; page with offset.", [
            "offset": integer("How many newest entries to skip (default 0)"),
            "limit": integer("How many entries (default 20, at most 200)"),
            "contains": string("Only entries whose message contains this text (any case)"),
            "level": ["type": "string", "enum": ["DEBUG", "INFO", "WARNING", "ERROR"], "description": "Only entries of this level"],
        ], required: []),
        tool("report_cost", "What you and your agents have spent: tokens and US dollars, per agent and in total, with budgets.", [:], required: []),
    ]

    static var names: Set<String> { Set(definitions.compactMap { $0["name"]?.stringValue }) }

    /// `{content, is_error}` for the backend (docs/protocol.md, `call_tool`).
    func call(_ name: String, input: JSONValue) async -> Data {
        do {
            return Self.result(try await run(name, input), isError: false)
        } catch {
            return Self.result(.string(PluginError(error).message), isError: true)
        }
    }

    private func run(_ name: String, _ input: JSONValue) async throws(PluginError) -> JSONValue {
        let arguments = ToolArguments(tool: name, input: input)
        switch name {
        case "create_agent":
            let record = try await agents.create(try Self.spec(arguments))
            return ["created": .string(record.name), "agent_id": .string(record.id), "model": .string(record.model),
                    "status": .string(record.status.rawValue), "next": "send it work with command_agent"]
        case "list_agents":
            let team = agents.list()
            return ["agents": .array(team.map { agents.summary($0) }),
                    "note": team.isEmpty ? "no agents yet; create one with create_agent" : .null]
        case "command_agent":
            let ifBusy = try arguments.optionalString("if_busy") ?? "queue"
            guard let mode = AgentManager.IfBusy(rawValue: ifBusy) else {
                throw .invalid("invalid_if_busy", "if_busy is \"\(ifBusy)\"; use queue, interrupt or reject")
            }
            let accepted = try await agents.command(try arguments.string("agent_name"), try arguments.string("command", allowEmpty: true),
                                                    ifBusy: mode, from: .orchestrator)
            return ["accepted": true, "agent": .string(accepted.agent.name), "turn_id": .string(accepted.turnID),
                    "position": .int(Int64(accepted.position)),
                    "note": accepted.position == 0 ? "running now; you will be told in the chat when it finishes" : "queued; it runs when its turn comes"]
        case "check_agent_status":
            let tail = min(max(try arguments.integer("tail") ?? 10, 1), 100)
            return try await agents.status(try arguments.string("agent_name"), sinceSeq: try arguments.integer("since_seq"), tail: tail,
                                           verbose: try arguments.bool("verbose") ?? false)
        case "wait_agents":
            let names = try arguments.strings("names") ?? []
            guard !names.isEmpty else { throw .invalid("names_required", "names is empty; list the agents to wait for") }
            let mode = try arguments.optionalString("mode") ?? "any"
            guard mode == "any" || mode == "all" else { throw .invalid("invalid_mode", "mode is \"\(mode)\"; use any or all") }
            let timeout = min(max(try arguments.integer("timeout_s") ?? 300, 1), 1800)
            return try await agents.waitFor(names, all: mode == "all", timeout: .seconds(timeout))
        case "interrupt_agent":
            let interrupted = try await agents.interrupt(try arguments.string("agent_name"))
            return ["interrupted": .bool(interrupted), "note": interrupted ? .null : "it was not running a command"]
        case "delete_agent":
            let record = try await agents.delete(try arguments.string("agent_name"))
            return ["deleted": .string(record.name), "status": .string(record.status.rawValue), "process": "stopped and confirmed gone"]
        case "read_system_logs":
            let limit = min(max(try arguments.integer("limit") ?? 20, 1), 200)
            let (logs, hasMore): ([SystemLogRecord], Bool)
            do {
                (logs, hasMore) = try await agents.store.readSystemLogs(
                    offset: try arguments.integer("offset"), limit: limit, contains: try arguments.optionalString("contains"),
                    level: try arguments.optionalString("level"))
            } catch {
                throw AgentManager.storeError(error)
            }
            return ["logs": .array(logs.map { ["level": .string($0.level), "message": .string($0.message), "timestamp": .string($0.timestamp)] }),
                    "has_more": .bool(hasMore)]
        case "report_cost":
            let me = await orchestrator()
            let team = agents.list()
            let agentsCost = team.reduce(0) { $0 + $1.totalCost }
            return [
                "orchestrator": ["input_tokens": .int(me.inputTokens), "output_tokens": .int(me.outputTokens), "cost_usd": .double(me.totalCost)],
                "agents": .array(team.map { ["name": .string($0.name), "input_tokens": .int($0.inputTokens), "output_tokens": .int($0.outputTokens),
                                             "cost_usd": .double($0.totalCost), "budget_usd": $0.metadata["budget_usd"] ?? .null] }),
                "agents_cost_usd": .double(agentsCost), "total_cost_usd": .double(agentsCost + me.totalCost),
                "team_budget_usd": agents.settings.teamBudgetUSD.map(JSONValue.double) ?? .null,
            ]
        default:
            throw .notFound("unknown_tool", "there is no tool \(name); the tools are \(Self.names.sorted().joined(separator: ", "))")
        }
    }

    /// `create_agent`'s input, from the tool or from a person's request.
    static func spec(_ arguments: ToolArguments) throws(PluginError) -> AgentManager.Spec {
        .init(name: try arguments.string("name", allowEmpty: true), systemPrompt: try arguments.optionalString("system_prompt"),
              template: try arguments.optionalString("template"), model: try arguments.optionalString("model"),
              allowedTools: try arguments.strings("allowed_tools"), disallowedTools: try arguments.strings("disallowed_tools"),
              budgetUSD: try arguments.number("budget_usd"), maxTurns: try arguments.integer("max_turns"))
    }

    static func result(_ value: JSONValue, isError: Bool) -> Data {
        let text: String = if case .string(let message) = value { message } else { String(decoding: (try? JSON.encode(value)) ?? Data(), as: UTF8.self) }
        return (try? JSON.encode(["content": JSONValue.array([["type": "text", "text": .string(text)]]), "is_error": .bool(isError)])) ?? Data()
    }

    private static func tool(_ name: String, _ description: String, _ properties: [String: JSONValue], required: [String]) -> JSONValue {
        ["name": .string(name), "description": .string(description),
         "input_schema": ["type": "object", "properties": .object(properties), "required": .array(required.map(JSONValue.string))]]
    }
    private static func string(_ description: String) -> JSONValue { ["type": "string", "description": .string(description)] }
    private static func integer(_ description: String) -> JSONValue { ["type": "integer", "description": .string(description)] }
    private static func number(_ description: String) -> JSONValue { ["type": "number", "description": .string(description)] }
    private static func stringArray(_ description: String) -> JSONValue {
        ["type": "array", "items": ["type": "string"], "description": .string(description)]
    }
}

/// A tool's input, read field by field; a wrong one is an error naming the field and the tool.
struct ToolArguments {
    let tool: String
    let input: JSONValue

    func string(_ key: String, allowEmpty: Bool = false) throws(PluginError) -> String {
        guard let value = try optionalString(key) else { throw .invalid("missing_\(key)", "\(tool) needs \(key)") }
        if !allowEmpty && value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .invalid("empty_\(key)", "\(tool): \(key) is empty") }
        return value
    }

    func optionalString(_ key: String) throws(PluginError) -> String? {
        switch input[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw .invalid("invalid_\(key)", "\(tool): \(key) must be a string, not \(other.typeName)")
        }
    }

    func strings(_ key: String) throws(PluginError) -> [String]? {
        switch input[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.map { item throws(PluginError) in
                guard case .string(let text) = item else { throw .invalid("invalid_\(key)", "\(tool): \(key) must be a list of strings") }
                return text
            }
        case .string(let single)?: return [single]
        case let other?: throw .invalid("invalid_\(key)", "\(tool): \(key) must be a list of strings, not \(other.typeName)")
        }
    }

    func integer(_ key: String) throws(PluginError) -> Int? {
        switch input[key] {
        case nil, .null?: return nil
        case .int(let value)?: return Int(value)
        case .double(let value)? where value == value.rounded() && abs(value) < 1e15: return Int(value)
        case let other?: throw .invalid("invalid_\(key)", "\(tool): \(key) must be a whole number, not \(other)")
        }
    }

    func number(_ key: String) throws(PluginError) -> Double? {
        switch input[key] {
        case nil, .null?: return nil
        case .int(let value)?: return Double(value)
        case .double(let value)?: return value
        case let other?: throw .invalid("invalid_\(key)", "\(tool): \(key) must be a number, not \(other.typeName)")
        }
    }

    func bool(_ key: String) throws(PluginError) -> Bool? {
        switch input[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw .invalid("invalid_\(key)", "\(tool): \(key) must be true or false, not \(other.typeName)")
        }
    }
}
