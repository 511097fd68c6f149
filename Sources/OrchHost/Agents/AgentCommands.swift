import Foundation
import PluginAPI
import StoreModel

/// Commands: accepted at once (saved as a chat row), run one at a time per agent and at
/// most `max_running` across the team, first come first served; each one's end is saved
/// as the agent's result row and, unless a `wait_agents` call was watching, starts an
/// orchestrator turn.
extension AgentManager {
    public enum IfBusy: String, Sendable, CaseIterable {
        case queue, interrupt, reject
    }

    public struct Accepted: Sendable {
        public var turnID: String
        /// 0: running now; otherwise its place among commands waiting for this agent or a run slot.
        public var position: Int
        public var agent: AgentRecord
    }

    /// `from` is `.orchestrator` for its tools, `.user` for a person driving the agent directly.
    public func command(_ nameOrID: String, _ text: String, ifBusy: IfBusy = .queue, from: Party) async throws(PluginError) -> Accepted {
        let live = try resolve(nameOrID)
        let name = live.record.name
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalid("empty_command", "the command is empty; say what \(name) should do")
        }
        try checkNotStopping()
        guard !live.deleting else { throw .init(.conflict, code: "agent_deleting", "\(name) is being deleted; create a new agent instead") }
        if let refusal = budgetRefusal(live) { throw refusal }
        if live.busy {
            switch ifBusy {
            case .reject:
                throw .init(.conflict, code: "agent_busy", "\(name) is busy with \"\(TurnEngine.preview(live.running?.text ?? live.waiting.first?.text ?? ""))\"; wait with wait_agents, or send with if_busy = \"queue\" or \"interrupt\"")
            case .interrupt:
                _ = try await interrupt(live.record.id, reason: "superseded")
            case .queue:
                break
            }
        }
        let turnID = UUIDv7.next()
        let row: ChatMessageRecord
        do {
            row = try await store.insertChat(NewChatMessage(
                orchestratorID: orchestratorID, sender: from, receiver: .agent, message: text, agentID: live.record.id,
                metadata: ["type": "agent_command", "turn_id": .string(turnID), "agent_name": .string(name)]))
        } catch {
            throw Self.storeError(error)
        }
        publish(WireMessages.chat(row), turnID: turnID)
        let command = Command(turnID: turnID, text: text, from: from)
        let position = state.withLock { state -> Int in
            guard var agent = state.agents[live.record.id] else { return 0 }
            if ifBusy == .interrupt { agent.waiting.insert(command, at: 0) } else { agent.waiting.append(command) }
            agent.lastCommand = text
            state.agents[live.record.id] = agent
            if agent.running == nil, !state.slotQueue.contains(live.record.id) { state.slotQueue.append(live.record.id) }
            let ahead = agent.running == nil ? 0 : 1
            let index = agent.waiting.firstIndex { $0.turnID == turnID } ?? 0
            return ahead + index + (state.slotQueue.firstIndex(of: live.record.id).map { state.runningCount >= settings.maxRunning ? $0 + 1 : 0 } ?? 0)
        }
        logger.info("agent \(name) ← \(from.rawValue): \(TurnEngine.preview(text))", metadata: ["turn": "\(turnID)"])
        schedule()
        return Accepted(turnID: turnID, position: position, agent: live.record)
    }

    /// Starts what the run slots allow, in arrival order; marks the rest `queued`.
    func schedule() {
        let (starting, queued) = state.withLock { state -> ([(String, Command)], [String]) in
            var starting: [(String, Command)] = []
            while state.runningCount < settings.maxRunning, !state.slotQueue.isEmpty {
                let id = state.slotQueue.removeFirst()
                guard var agent = state.agents[id], agent.running == nil, !agent.waiting.isEmpty else { continue }
                let command = agent.waiting.removeFirst()
                agent.running = command
                agent.estimate = 0
                agent.interruption = nil
                state.agents[id] = agent
                state.runningCount += 1
                starting.append((id, command))
            }
            let queued = state.slotQueue.filter { state.agents[$0]?.record.status != .queued }
            return (starting, queued)
        }
        for (id, command) in starting { Task { [self] in await run(id, command) } }
        for id in queued {
            Task { [self] in
                await setStatus(id, .queued, reason: nil, turnID: nil) { $0.agents[id]?.running == nil && $0.slotQueue.contains(id) }
            }
        }
        publishQueue()
    }

    func publishQueue() {
        let (waiting, running) = state.withLock { state in
            (state.slotQueue.compactMap { id in
                state.agents[id].flatMap { agent in agent.waiting.first.map { (agentID: id, name: agent.record.name, turnID: $0.turnID) } }
            }, state.runningCount)
        }
        publish(WireMessages.agentQueue(orchestratorID: orchestratorID, waiting: waiting, running: running, maxRunning: settings.maxRunning))
    }

    private func run(_ agentID: String, _ command: Command) async {
        guard let live = state.withLock({ $0.agents[agentID] }) else { return }
        await setStatus(agentID, .running, reason: nil, turnID: command.turnID)
        let outbox = outbox(for: agentID)
        var session = live.session
        let recorder = AgentRecorder(agentID: agentID, orchestratorID: orchestratorID, turnID: command.turnID, sessionID: session,
                                     store: store, bus: bus, outbox: outbox, holds: holds) { [weak self] cost, context in
            self?.spent(cost, contextTokens: context, agentID: agentID)
        }
        func attempt(_ session: String, resume: Bool) async throws -> Data {
            var request = sessionSettings(live.record)
            request["turn_id"] = .string(command.turnID)
            request["orchestrator_id"] = .string(orchestratorID)
            request["session_id"] = .string(session)
            request["resume"] = .bool(resume)
            request["message"] = .string(command.text)
            // Interrupted before it reached the backend (a budget, a stop, `if_busy = interrupt`): it does not run.
            if state.withLock({ $0.agents[agentID]?.interruption != nil }) {
                throw PluginError(.cancelled, code: "interrupted", "interrupted before it started")
            }
            return try await backend.runTurn(try JSON.encode(request)) { recorder.handle($0) }
        }
        let outcome: Result<JSONValue, PluginError>
        do {
            let body: Data
            do {
                body = try await attempt(session, resume: live.record.sessionID != nil)
            } catch let error as PluginError where live.record.sessionID != nil && error.code == "session_not_found" {
                session = UUID().uuidString.lowercased()
                logger.warning("agent \(live.record.name): session \(live.session) is gone (\(error.message)); continuing in a new session \(session)")
                body = try await attempt(session, resume: false)
            }
            outcome = .success(try JSONDecoder().decode(JSONValue.self, from: body))
        } catch {
            outcome = .failure(PluginError(error))
        }
        await finish(agentID, command, recorder: recorder, session: session, outcome: outcome)
    }

    private func finish(_ agentID: String, _ command: Command, recorder: AgentRecorder, session: String, outcome: Result<JSONValue, PluginError>) async {
        let outbox = outbox(for: agentID)
        _ = await outbox.flush(timeout: .seconds(30))
        let result: JSONValue? = switch outcome {
        case .success(let result): result
        case .failure: recorder.accountingOfFailure
        }
        if let result { await account(agentID, result: result, session: session, turnID: command.turnID) }
        let (record, interruption) = state.withLock { ($0.agents[agentID]?.record, $0.agents[agentID]?.interruption) }
        guard let record else { return }
        let reply = recorder.reply
        let status: AgentStatus, reason: String?, outcomeName: String, text: String, errorClass: String?
        switch outcome {
        case .success:
            (status, reason, outcomeName, errorClass) = (.idle, nil, "success", nil)
            text = reply.isEmpty ? "\(record.name) finished without a reply." : reply
        case .failure(let error):
            let interrupted = TurnEngine.isInterruption(error) || interruption != nil
            let why = interruption ?? (interrupted ? "interrupted_by_user" : error.code)
            (status, reason, outcomeName, errorClass) = (interrupted ? .interrupted : .failed, why, interrupted ? "interrupted" : "failed", why)
            let partial = reply.isEmpty ? "" : " What it had written: \(TurnEngine.preview(reply, limit: 400))"
            text = interrupted ? "\(record.name) was interrupted (\(why.replacingOccurrences(of: "_", with: " "))).\(partial)"
                               : "\(record.name) failed (\(error.code)): \(error.message).\(partial)"
        }
        let budget = budgetRefusal(state.withLock { $0.agents[agentID] } ?? Live(record: record))
        let finalStatus = budget != nil && status == .idle ? AgentStatus.interrupted : status
        let finalReason = budget != nil && status == .idle ? "budget_exceeded" : reason
        if !state.withLock({ $0.agents[agentID]?.deleting ?? true }) {
            await setStatus(agentID, finalStatus, reason: finalReason, turnID: command.turnID)
        }
        let seen = state.withLock { state -> Bool in
            state.agents[agentID]?.running = nil
            state.agents[agentID]?.lastResult = text
            state.agents[agentID]?.commandsDone += 1
            state.runningCount -= 1
            if let agent = state.agents[agentID], !agent.waiting.isEmpty, !agent.deleting, !state.slotQueue.contains(agentID) {
                state.slotQueue.append(agentID)
            }
            // A wait_agents call watching this agent reports the end itself: no extra turn for it.
            return state.waiters.values.contains { $0.ids.contains(agentID) }
        }
        await writeResult(agentID: agentID, turnID: command.turnID, outcome: outcomeName, errorClass: errorClass, text: text,
                          notify: settings.notifyOrchestrator && !seen && command.from == .orchestrator)
        logger.info("agent \(record.name) → orchestrator: \(outcomeName)", metadata: ["turn": "\(command.turnID)"])
        wakeWaiters()
        schedule()
    }

    /// Saves the agent's answer to one command (agent → orchestrator) and publishes it; with `notify`,
    /// the orchestrator gets a turn to read it.
    func writeResult(agentID: String, turnID: String, outcome: String, errorClass: String?, text: String, notify: Bool) async {
        guard let record = state.withLock({ $0.agents[agentID]?.record }) else { return }
        var metadata: [String: JSONValue] = [
            "type": "agent_result", "turn_id": .string(turnID), "outcome": .string(outcome), "agent_name": .string(record.name),
        ]
        if let errorClass { metadata["error_class"] = .string(errorClass) }
        let row: ChatMessageRecord
        do {
            row = try await store.insertChat(NewChatMessage(
                orchestratorID: orchestratorID, sender: .agent, receiver: .orchestrator, message: text, agentID: agentID, metadata: .object(metadata)))
        } catch {
            logger.error("agent \(record.name): could not save the result of \(turnID): \(PluginError(error).message)")
            return
        }
        publish(WireMessages.chat(row), turnID: turnID)
        if notify, !state.withLock({ $0.stopping }), let notifier = notifier.withLock({ $0 }) {
            notifier(row, "[agent \(record.name) · \(outcome)] \(text)")
        }
    }

    // MARK: Spend

    /// The command's exact usage from the backend's result, saved to the agent; replaces the estimate.
    private func account(_ agentID: String, result: JSONValue, session: String, turnID: String) async {
        let spent = TurnUsage(result, fallbackSession: session)
        do {
            var record = try await store.addAgentUsage(id: agentID, inputTokens: spent.inputTokens, outputTokens: spent.outputTokens, costUSD: spent.cost)
            if record.sessionID != spent.session { record = try await store.updateAgentSession(id: agentID, sessionID: spent.session) }
            let (warning, context): (String?, Int64?) = state.withLock { state in
                guard var agent = state.agents[agentID] else { return (nil, nil) }
                agent.record = record
                agent.estimate = 0
                defer { state.agents[agentID] = agent }
                guard let budget = agent.budgetUSD, !agent.warned, record.totalCost >= 0.8 * budget else { return (nil, agent.contextTokens) }
                agent.warned = true
                return ("budget_80", agent.contextTokens)
            }
            publish(WireMessages.agentUpdated(record, budgetUSD: record.metadata["budget_usd"]?.doubleValue, contextTokens: context, warning: warning),
                    turnID: turnID)
            if warning != nil { logger.warning("agent \(record.name) has spent 80 % of its budget") }
        } catch {
            logger.error("agent: could not save the usage of \(turnID): \(PluginError(error).message)")
        }
    }

    /// An API call's estimated cost while a command runs: past the agent's or the team's budget, the command is interrupted.
    func spent(_ cost: Double, contextTokens: Int64, agentID: String) {
        let over: String? = state.withLock { state in
            guard var agent = state.agents[agentID], agent.running != nil else { return nil }
            agent.estimate += cost
            agent.contextTokens = contextTokens
            state.agents[agentID] = agent
            guard agent.interruption == nil, budgetRefusal(agent, in: state) != nil else { return nil }
            state.agents[agentID]?.interruption = "budget_exceeded"
            return agent.session
        }
        guard over != nil else { return }
        logger.warning("agent \(agentID) is over its budget mid-command; interrupting it")
        Task { [self] in try? await interruptRunning(agentID) }
    }

    func budgetRefusal(_ agent: Live) -> PluginError? {
        state.withLock { budgetRefusal(agent, in: $0) }
    }

    /// Why a command may not run: the agent's or the team's budget is spent.
    func budgetRefusal(_ agent: Live, in state: State) -> PluginError? {
        if let budget = agent.budgetUSD, agent.record.totalCost + agent.estimate >= budget {
            return .init(.conflict, code: "budget_exceeded", "\(agent.record.name) has spent $\(Self.dollars(agent.record.totalCost + agent.estimate)) of its $\(Self.dollars(budget)) budget; it takes no more commands. Create a new agent with a budget, or ask a person to raise it")
        }
        if let team = settings.teamBudgetUSD {
            let spent = state.agents.values.reduce(0) { $0 + $1.record.totalCost + $1.estimate }
            if spent >= team {
                return .init(.conflict, code: "budget_exceeded", "the team has spent $\(Self.dollars(spent)) of its $\(Self.dollars(team)) budget ([agents] budget_usd); no agent takes more commands")
            }
        }
        return nil
    }

    static func dollars(_ value: Double) -> String { String(format: "%.4f", value) }

    // MARK: Waiting

    /// A stopped or interrupted command ends within the stop's grace periods; the margin covers its writes.
    func waitUntilIdle(_ agentID: String) async {
        _ = await wait(ids: [agentID], all: true, timeout: settings.stopGrace * 3 + .seconds(30))
    }

    /// Waits until any (or all) of the agents have nothing running or waiting; false on timeout.
    func wait(ids: Set<String>, all: Bool, timeout: Duration) async -> Bool {
        let key = UUID()
        let woken = await waitUntil(timeout: timeout) { [self] done in
            let satisfied = state.withLock { state -> Bool in
                if self.satisfied(ids, all: all, in: state) { return true }
                state.waiters[key] = Waiter(ids: ids, all: all) { done(true) }
                return false
            }
            if satisfied { done(true) }
        }
        if !woken { _ = state.withLock { $0.waiters.removeValue(forKey: key) } }
        return woken
    }

    private func satisfied(_ ids: Set<String>, all: Bool, in state: State) -> Bool {
        let idle = ids.map { id in !(state.agents[id]?.busy ?? false) || state.agents[id]?.record.archived == true }
        return all ? idle.allSatisfy { $0 } : idle.contains(true)
    }

    func wakeWaiters() {
        let ready = state.withLock { state -> [Waiter] in
            let keys = state.waiters.filter { satisfied($0.value.ids, all: $0.value.all, in: state) }.map(\.key)
            return keys.compactMap { state.waiters.removeValue(forKey: $0) }
        }
        for waiter in ready { waiter.resume() }
    }
}
