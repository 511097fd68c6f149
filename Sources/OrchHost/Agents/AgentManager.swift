import Foundation
import Logging
import PluginAPI
import StoreModel
import Synchronization

/// The orchestrator's team: named, long-lived backend sessions it creates, commands,
/// watches and stops (docs/agents.md). Every state change is saved before it is
/// published, so a client never sees a state the store (and the process) does not have.
public final class AgentManager: Sendable {
    public struct Settings: Sendable {
        public var maxRunning: Int
        public var maxAgents: Int
        public var teamBudgetUSD: Double?
        public var notifyOrchestrator: Bool
        public var stopGrace: Duration
        public var defaultModel: String
        public var workingDir: String

        public init(_ agents: OrchConfig.AgentsSection, defaultModel: String, workingDir: String) {
            maxRunning = agents.maxRunning
            maxAgents = agents.maxAgents
            teamBudgetUSD = agents.budgetUSD
            notifyOrchestrator = agents.notifyOrchestrator
            stopGrace = .milliseconds(agents.stopGraceMilliseconds)
            self.defaultModel = agents.model ?? defaultModel
            self.workingDir = workingDir
        }
    }

    /// What `create_agent` asks for; nil fields come from the template or the settings.
    public struct Spec: Sendable {
        public var name: String
        public var systemPrompt: String?
        public var template: String?
        public var model: String?
        public var allowedTools: [String]?
        public var disallowedTools: [String]?
        public var budgetUSD: Double?
        public var maxTurns: Int?
        public var workingDir: String?

        public init(name: String, systemPrompt: String? = nil, template: String? = nil, model: String? = nil, allowedTools: [String]? = nil,
                    disallowedTools: [String]? = nil, budgetUSD: Double? = nil, maxTurns: Int? = nil, workingDir: String? = nil) {
            self.name = name
            self.systemPrompt = systemPrompt
            self.template = template
            self.model = model
            self.allowedTools = allowedTools
            self.disallowedTools = disallowedTools
            self.budgetUSD = budgetUSD
            self.maxTurns = maxTurns
            self.workingDir = workingDir
        }
    }

    struct Command: Sendable {
        var turnID: String
        var text: String
        var from: Party
    }

    /// One agent as the host holds it while it lives.
    struct Live: Sendable {
        var record: AgentRecord
        var waiting: [Command] = []
        var running: Command?
        /// Why the host interrupted the running command (`budget_exceeded`, `interrupted_by_user`, `stopped_by_user`).
        var interruption: String?
        var deleting = false
        /// The session its first command creates; `record.sessionID` once a command has run.
        var firstSession = UUID().uuidString.lowercased()
        /// The running command's estimated spend so far (replaced by the exact cost at its end).
        var estimate: Double = 0
        var warned = false
        /// The input its last API call sent (its context's size), once one was reported.
        var contextTokens: Int64?
        var lastCommand: String?
        var lastResult: String?
        var commandsDone = 0

        var busy: Bool { running != nil || !waiting.isEmpty }
        var session: String { record.sessionID ?? firstSession }
        var budgetUSD: Double? { record.metadata["budget_usd"]?.doubleValue }
    }

    struct State: Sendable {
        var agents: [String: Live] = [:]
        /// Agents waiting for a run slot, first come first served.
        var slotQueue: [String] = []
        var runningCount = 0
        var stopping = false
        var waiters: [UUID: Waiter] = [:]
    }

    struct Waiter: Sendable {
        var ids: Set<String>
        var all: Bool
        var resume: @Sendable () -> Void
    }

    public let orchestratorID: String
    let store: StoreAPI
    let backend: BackendClient
    let bus: EventBus
    let logger: Logger
    public let settings: Settings
    let state = Mutex(State())
    let outboxes = Mutex([String: Outbox]())
    /// Each agent's status writes, one at a time.
    let lanes = Mutex([String: SerialLane]())
    /// How long each agent event is held on the backend's thread.
    public let holds = HoldTimes()
    /// Starts the orchestrator's turn for an agent's finished command (set once the engine exists).
    let notifier = Mutex<(@Sendable (ChatMessageRecord, String) -> Void)?>(nil)
    let interruptHook = Mutex<(@Sendable (String) async -> Void)?>(nil)

    public init(orchestratorID: String, store: StoreAPI, backend: BackendClient, bus: EventBus, logger: Logger, settings: Settings) {
        self.orchestratorID = orchestratorID
        self.store = store
        self.backend = backend
        self.bus = bus
        self.logger = logger
        self.settings = settings
    }

    /// `notify(row, prompt)` queues an orchestrator turn answering an agent's result row.
    /// Told of every interrupt the host sends an agent's running command (its permission questions are withdrawn).
    public func onInterrupt(_ hook: @escaping @Sendable (String) async -> Void) {
        interruptHook.withLock { $0 = hook }
    }

    public func onCompletion(_ notify: @escaping @Sendable (ChatMessageRecord, String) -> Void) {
        notifier.withLock { $0 = notify }
    }

    // MARK: Startup

    /// Loads the team. An agent the store has as running, queued or starting has no process
    /// after a restart: it becomes `interrupted` (`host_restarted`), and every command of it
    /// that never got a result is reported as dropped. Its session resumes on the next command.
    public func recover() async throws {
        let records = try await store.agents(orchestratorID: orchestratorID, includeArchived: false)
        let ghostStates: Set<AgentStatus> = [.running, .queued, .starting, .needsInput]
        var ghosts: [AgentRecord] = []
        state.withLock { state in
            for record in records { state.agents[record.id] = Live(record: record) }
        }
        for record in records where ghostStates.contains(record.status) { ghosts.append(record) }
        guard !ghosts.isEmpty else { return }
        let unanswered = (try? await unansweredCommands(of: Set(ghosts.map(\.id)))) ?? [:]
        for ghost in ghosts {
            await setStatus(ghost.id, .interrupted, reason: "host_restarted", turnID: nil)
            for command in unanswered[ghost.id] ?? [] {
                await writeResult(agentID: ghost.id, turnID: command.turnID, outcome: "dropped", errorClass: "host_restarted",
                                  text: "\(ghost.name) did not finish \"\(TurnEngine.preview(command.text))\": orch stopped before it ended. Command it again to retry; its session resumes.",
                                  notify: false)
            }
            logger.warning("agent \(ghost.name) was \(ghost.status) when orch stopped; it is interrupted now (host_restarted)")
        }
    }

    /// Commands (orchestrator→agent rows) in the recent history without a result row of the same turn.
    private func unansweredCommands(of agents: Set<String>) async throws -> [String: [Command]] {
        let (rows, _) = try await store.chatHistory(orchestratorID: orchestratorID, limit: StoreRules.maxHistoryLimit)
        var answered = Set<String>()
        for row in rows where row.sender == .agent { if let turn = row.metadata["turn_id"]?.stringValue { answered.insert(turn) } }
        var result: [String: [Command]] = [:]
        for row in rows where row.receiver == .agent {
            guard let agent = row.agentID, agents.contains(agent), let turn = row.metadata["turn_id"]?.stringValue, !answered.contains(turn) else { continue }
            result[agent, default: []].append(Command(turnID: turn, text: row.message, from: row.sender))
        }
        return result
    }

    // MARK: Create, read, delete

    public func create(_ spec: Spec) async throws(PluginError) -> AgentRecord {
        let name = spec.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw .invalid("empty_name", "name is empty; give the agent a short unique name such as \"tester\"") }
        guard name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw .invalid("invalid_name", "\"\(TurnEngine.preview(name))\" is not a usable agent name: use up to 64 letters, digits, '-', '_' or '.'")
        }
        try checkNotStopping()
        let live = state.withLock { $0.agents.values.filter { !$0.record.archived } }
        if live.contains(where: { $0.record.name == name }) {
            throw .init(.conflict, code: "duplicate_agent_name", "an agent called \"\(name)\" already exists; command it, or delete it first, or choose another name")
        }
        guard live.count < settings.maxAgents else {
            throw .init(.conflict, code: "too_many_agents", "this orchestrator already has \(live.count) agents ([agents] max_agents = \(settings.maxAgents)); delete one you no longer need first")
        }
        var template: AgentTemplate?
        if let templateName = spec.template { template = try AgentTemplate.named(templateName, in: settings.workingDir) }
        guard let prompt = spec.systemPrompt ?? template?.systemPrompt, !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalid("system_prompt_required", "give the agent a system_prompt (what it is for and how to work) or a template from .claude/agents/")
        }
        if let budget = spec.budgetUSD, !(budget > 0 && budget.isFinite) {
            throw .invalid("invalid_budget", "budget_usd must be a positive number of US dollars, got \(budget)")
        }
        if let turns = spec.maxTurns, turns < 1 { throw .invalid("invalid_max_turns", "max_turns must be at least 1, got \(turns)") }
        var metadata: [String: JSONValue] = [:]
        if let tools = spec.allowedTools ?? template?.tools { metadata["allowed_tools"] = .array(tools.map(JSONValue.string)) }
        if let tools = spec.disallowedTools { metadata["disallowed_tools"] = .array(tools.map(JSONValue.string)) }
        if let budget = spec.budgetUSD { metadata["budget_usd"] = .double(budget) }
        if let turns = spec.maxTurns { metadata["max_turns"] = .int(Int64(turns)) }
        if let template { metadata["template"] = .string(template.name) }
        let model = spec.model ?? template?.model ?? settings.defaultModel
        let record: AgentRecord
        do {
            record = try await store.insertAgent(
                orchestratorID: orchestratorID, name: name, model: model, systemPrompt: prompt,
                workingDir: spec.workingDir ?? settings.workingDir, metadata: .object(metadata), status: .starting)
        } catch {
            throw Self.storeError(error)
        }
        state.withLock { $0.agents[record.id] = Live(record: record) }
        publish(WireMessages.agentCreated(record))
        logger.info("agent \(name) created", metadata: ["agent": "\(record.id)", "model": "\(model)"])
        // `starting` is real: the process is being started; it is idle once it runs.
        Task { [self] in await prewarm(record.id) }
        return record
    }

    private func prewarm(_ agentID: String) async {
        guard let live = state.withLock({ $0.agents[agentID] }) else { return }
        var request = sessionSettings(live.record)
        request["op"] = .string("prewarm")
        request["session_id"] = .string(live.session)
        request["resume"] = .bool(live.record.sessionID != nil)
        do {
            _ = try await backend.request(try JSON.encode(request))
        } catch {
            let failure = PluginError(error)
            if failure.status != .unsupported {
                logger.warning("agent \(live.record.name): its process did not start ahead of its first command: \(failure.message); the command will start it")
            }
        }
        await setStatus(agentID, .idle, reason: nil, turnID: nil) { $0.agents[agentID]?.record.status == .starting && $0.agents[agentID]?.running == nil }
    }

    /// What the backend needs to start this agent's process (docs/protocol.md, "Backend turns").
    func sessionSettings(_ record: AgentRecord) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "working_dir": .string(record.workingDir ?? settings.workingDir), "model": .string(record.model),
        ]
        if let prompt = record.systemPrompt { fields["system_prompt"] = .string(prompt) }
        for key in ["allowed_tools", "disallowed_tools", "max_turns"] { if let value = record.metadata[key] { fields[key] = value } }
        return fields
    }

    /// Live agents (not deleted), in creation order.
    public func list() -> [AgentRecord] {
        state.withLock { $0.agents.values.map(\.record) }.filter { !$0.archived }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// An agent by name or id; deleted ones are not found.
    public func agent(_ nameOrID: String) throws(PluginError) -> AgentRecord {
        try resolve(nameOrID).record
    }

    func resolve(_ nameOrID: String) throws(PluginError) -> Live {
        let key = nameOrID.trimmingCharacters(in: .whitespacesAndNewlines)
        let found = state.withLock { state in
            state.agents[key.lowercased()].flatMap { $0.record.archived ? nil : $0 }
                ?? state.agents.values.first { $0.record.name == key && !$0.record.archived }
        }
        guard let found else {
            let names = list().map(\.name)
            throw .notFound("unknown_agent", "no agent is called \"\(TurnEngine.preview(key))\"; "
                + (names.isEmpty ? "there are none yet: create one with create_agent" : "the agents are \(names.joined(separator: ", "))"))
        }
        return found
    }

    /// The live agent whose session this is.
    public func agent(session: String) -> AgentRecord? {
        state.withLock { $0.agents.values.first { $0.session == session && !$0.record.archived }?.record }
    }

    /// Whether `session` is one of the team's sessions (they get no management tools).
    public func isAgentSession(_ session: String) -> Bool {
        state.withLock { $0.agents.values.contains { $0.session == session } }
    }

    /// Stops the agent for real (its process is confirmed gone), then archives it; its waiting commands are reported dropped.
    public func delete(_ nameOrID: String) async throws(PluginError) -> AgentRecord {
        let live = try resolve(nameOrID)
        let id = live.record.id
        let dropped: [Command]? = state.withLock { state in
            guard var agent = state.agents[id], !agent.deleting else { return nil }
            agent.deleting = true
            let dropped = agent.waiting
            agent.waiting = []
            if agent.running != nil { agent.interruption = "stopped_by_user" }
            state.agents[id] = agent
            state.slotQueue.removeAll { $0 == id }
            return dropped
        }
        guard let dropped else { throw .init(.conflict, code: "agent_deleting", "\(live.record.name) is already being deleted") }
        for command in dropped {
            await writeResult(agentID: id, turnID: command.turnID, outcome: "dropped", errorClass: "agent_deleted",
                              text: "\(live.record.name) was deleted before it ran \"\(TurnEngine.preview(command.text))\".", notify: false)
        }
        try await stopProcess(live)
        await waitUntilIdle(id)
        await setStatus(id, .stopped, reason: "stopped_by_user", turnID: nil)
        await setStatus(id, .archived, reason: "deleted", turnID: nil)
        let record = state.withLock { $0.agents[id]?.record } ?? live.record
        publish(WireMessages.agentDeleted(record))
        publishQueue()
        logger.info("agent \(record.name) deleted")
        return record
    }

    /// The real stop: the backend interrupts, closes stdin, signals the process group and
    /// confirms the exit before answering. A backend without `stop_session` is asked to
    /// interrupt and close the session instead.
    private func stopProcess(_ live: Live) async throws(PluginError) {
        let request: [String: JSONValue] = [
            "op": "stop_session", "session_id": .string(live.session),
            "grace_ms": .int(Int64(settings.stopGrace.components.seconds * 1000 + settings.stopGrace.components.attoseconds / 1_000_000_000_000_000)),
        ]
        do {
            let reply = try JSONDecoder().decode(JSONValue.self, from: try await backend.request(try JSON.encode(request)))
            logger.info("agent \(live.record.name) stopped: \(reply)")
        } catch let error as PluginError where error.status == .unsupported {
            try? await interruptRunning(live.record.id)
            await waitUntilIdle(live.record.id)
            if let close = try? JSON.encode(["op": "close_session", "session_id": live.session]) { _ = try? await backend.request(close) }
        } catch {
            throw .unavailable("backend_unavailable", "could not stop \(live.record.name)'s process: \(PluginError(error).message); it is still shown as it is")
        }
    }

    /// Interrupts the running command, if any; waiting commands run after it.
    public func interrupt(_ nameOrID: String, reason: String = "interrupted_by_user") async throws(PluginError) -> Bool {
        let live = try resolve(nameOrID)
        let running = state.withLock { state -> Bool in
            guard var agent = state.agents[live.record.id], agent.running != nil else { return false }
            agent.interruption = agent.interruption ?? reason
            state.agents[live.record.id] = agent
            return true
        }
        guard running else { return false }
        do {
            try await interruptRunning(live.record.id)
        } catch {
            throw .unavailable("backend_unavailable", "could not interrupt \(live.record.name): \(PluginError(error).message)")
        }
        return true
    }

    /// Asks the backend to interrupt the agent's running command until it has: a command the host
    /// started may not have reached the backend yet (its process still starting), and an interrupt
    /// that finds nothing to interrupt must not let it run on. Ends when the command does.
    func interruptRunning(_ agentID: String) async throws {
        guard let (session, turnID) = state.withLock({ state in state.agents[agentID].flatMap { agent in agent.running.map { (agent.session, $0.turnID) } } }) else { return }
        // A question it is waiting on is withdrawn once the interrupt is sent: nobody should answer for a stopped command.
        defer { if let hook = interruptHook.withLock({ $0 }) { Task { await hook(agentID) } } }
        let request = try JSON.encode(["op": "interrupt", "session_id": session])
        for _ in 0..<200 {
            let reply = try JSON.decode(JSONValue.self, from: try await backend.request(request))
            if reply["interrupted"] != .bool(false) { return }
            guard state.withLock({ $0.agents[agentID]?.running?.turnID == turnID }) else { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        logger.warning("agent \(agentID): the backend found no turn to interrupt for 5 s; command \(turnID) runs on")
    }

    // MARK: Shutdown

    /// Ends every running command (their agents become `interrupted`, `host_stopped`) and
    /// reports waiting commands as dropped, while the store and transports still answer.
    public func shutdown(timeout: Duration) async {
        let (running, dropped) = state.withLock { state -> ([Live], [(String, Command)]) in
            state.stopping = true
            var dropped: [(String, Command)] = []
            for (id, var agent) in state.agents {
                dropped += agent.waiting.map { (id, $0) }
                agent.waiting = []
                if agent.running != nil { agent.interruption = "host_stopped" }
                state.agents[id] = agent
            }
            state.slotQueue = []
            return (state.agents.values.filter { $0.running != nil }, dropped)
        }
        for (id, command) in dropped {
            await writeResult(agentID: id, turnID: command.turnID, outcome: "dropped", errorClass: "host_stopped",
                              text: "orch stopped before this command ran: \"\(TurnEngine.preview(command.text))\". Command it again once orch is back.", notify: false)
        }
        for live in running { try? await interruptRunning(live.record.id) }
        _ = await waitUntil(timeout: timeout) { [self] done in
            Task { for live in running { await waitUntilIdle(live.record.id) }; done(true) }
        }
        for outbox in outboxes.withLock({ Array($0.values) }) { _ = await outbox.drain(timeout: timeout) }
    }

    func checkNotStopping() throws(PluginError) {
        if state.withLock({ $0.stopping }) {
            throw PluginError(.unavailable, code: "host_shutting_down", "orch is shutting down; nothing was done; try again once orch is back")
        }
    }

    // MARK: State

    /// Saves the status, then publishes it. A store failure is logged and nothing is published.
    /// One agent's status writes, in order. `onlyIf` is checked when the write's turn comes: a
    /// `queued` asked for before the agent started is dropped once it runs.
    func setStatus(_ agentID: String, _ status: AgentStatus, reason: String?, turnID: String?,
                   onlyIf condition: (@Sendable (State) -> Bool)? = nil) async {
        await lane(for: agentID).run { [self] in
            guard let previous = state.withLock({ condition?($0) ?? true ? $0.agents[agentID]?.record : nil }) else { return }
            do {
                let record = try await store.setAgentStatus(id: agentID, status: status, reason: reason)
                state.withLock { $0.agents[agentID]?.record = record }
                publish(WireMessages.agentStatusChanged(record, previous: previous.status, turnID: turnID))
                wakeWaiters()
            } catch {
                logger.error("agent \(previous.name): could not save its status \(status.rawValue): \(PluginError(error).message)")
            }
        }
    }

    private func lane(for agentID: String) -> SerialLane {
        lanes.withLock { lanes in
            if let lane = lanes[agentID] { return lane }
            let lane = SerialLane()
            lanes[agentID] = lane
            return lane
        }
    }

    func outbox(for agentID: String) -> Outbox {
        outboxes.withLock { boxes in
            if let box = boxes[agentID] { return box }
            let box = Outbox(logger: logger) { [weak self] error in
                self?.logger.warning("agent logs wait for the store: \(error.message)")
            }
            boxes[agentID] = box
            return box
        }
    }

    func publish(_ json: Data, turnID: String = "") {
        bus.publish(Event(kind: .wire, orchestratorID: orchestratorID, turnID: turnID, json: json))
    }

    static func storeError(_ error: any Error) -> PluginError {
        let failure = PluginError(error)
        return TurnEngine.storeFailure(failure, "the store is unavailable (\(failure.message)); nothing was done, try again")
    }
}
