import Foundation
import Logging
import PluginAPI
import StoreModel
import Synchronization

/// The questions backends ask before a tool outside a session's allowed tools runs
/// (`request_permission`, from `permission_policy = "ask"`). Each is decided by a rule or a
/// grant at once, or saved as a pending request and published (`permission_request`) while
/// the turn waits; the asking agent shows `needs_input`. A person's answer, the timeout, or
/// a withdrawal decides it once (the store refuses a second decision), publishes
/// `permission_resolved`, and lets the turn go on. Every request is a row: the audit log.
public final class PermissionInbox: Sendable {
    /// How a person answers one request.
    public struct Decision: Sendable, Equatable {
        public enum Verdict: String, Sendable { case allow, deny }
        /// How far an allow reaches: this request, every use of the tool by this agent, or by
        /// every agent made from the same template.
        public enum Scope: String, Sendable { case once, agent, template }
        public var verdict: Verdict
        public var scope: Scope = .once
        public var message: String?
        public var updatedInput: JSONValue?
    }

    /// A standing "allow" a person gave for a tool.
    struct Grant: Hashable, Sendable {
        enum Holder: Hashable, Sendable { case orchestrator, agent(String), template(String) }
        var holder: Holder
        var tool: String
    }

    private struct Waiting: Sendable {
        var record: PermissionRecord
        /// The backend's id for the question (the CLI's control request id).
        var requestID: String
        var resume: CheckedContinuation<JSONValue, Never>
        var timeout: Task<Void, Never>?
    }

    private struct State: Sendable {
        var waiting: [String: Waiting] = [:]
        /// Answers that came between the request's row being saved and its turn starting to wait.
        var early: [String: JSONValue] = [:]
        var grants: Set<Grant> = []
    }

    let orchestratorID: String
    private let store: StoreAPI
    private let bus: EventBus
    private let rules: PermissionRules
    private let workingDir: String?
    private let logger: Logger
    private let engine: TurnEngine
    private let agents: AgentManager?
    private let state = Mutex(State())

    init(engine: TurnEngine, agents: AgentManager?, rules: PermissionRules, bus: EventBus, logger: Logger) {
        self.orchestratorID = engine.orchestratorID
        self.store = engine.store
        self.engine = engine
        self.agents = agents
        self.rules = rules
        self.workingDir = engine.settings.workingDir
        self.bus = bus
        self.logger = logger
    }

    // MARK: Asking

    /// What the backend asked, as `request_permission` carries it.
    struct Question: Sendable {
        var sessionID: String
        var requestID: String
        var toolName: String
        var input: JSONValue
        var suggestions: JSONValue
        var turnID: String?
    }

    /// The answer for the backend: `{behavior: "allow", updated_input?}` or `{behavior: "deny", message}`.
    func ask(_ question: Question) async throws(PluginError) -> JSONValue {
        let asker = try self.asker(of: question.sessionID)
        let name = asker.agent?.name ?? "the orchestrator"
        if let grant = grant(for: asker, tool: question.toolName) {
            _ = try await save(question, asker: asker, status: .allowed, decision: ["grant": .string(grant)])
            return ["behavior": "allow", "updated_input": question.input]
        }
        switch rules.verdict(toolName: question.toolName, input: question.input, workingDir: workingDir) {
        case .allow(let rule):
            _ = try await save(question, asker: asker, status: .allowed, decision: ["rule": .string(rule.description)])
            return ["behavior": "allow", "updated_input": question.input]
        case .deny(let rule):
            _ = try await save(question, asker: asker, status: .denied, decision: ["rule": .string(rule.description)])
            return ["behavior": "deny", "message": .string("\(question.toolName) is denied to \(name) by the rule \(rule) in [permissions] deny.")]
        case .ask:
            break
        }
        let expiresAt = rules.timeout.map { Timestamp.after($0) }
        let record = try await save(question, asker: asker, status: .pending, decision: nil, expiresAt: expiresAt)
        return await withCheckedContinuation { resume in
            let timeout = rules.timeout.map { limit in
                Task { [weak self] in
                    try? await Task.sleep(for: limit)
                    guard !Task.isCancelled else { return }
                    await self?.expire(record.id, after: limit)
                }
            }
            let early: JSONValue? = state.withLock { state in
                if let reply = state.early.removeValue(forKey: record.id) { return reply }
                state.waiting[record.id] = Waiting(record: record, requestID: question.requestID, resume: resume, timeout: timeout)
                return nil
            }
            if let early {
                timeout?.cancel()
                resume.resume(returning: early)
                return
            }
            publish(.permissionRequest, record, turnID: question.turnID)
            if let agent = asker.agent {
                Task { await agents?.setStatus(agent.id, .needsInput, reason: "permission_request", turnID: question.turnID) { $0.agents[agent.id]?.running != nil } }
            }
        }
    }

    // MARK: Answering

    /// A person's answer. Exactly one answer decides a request: a second one, or one after the
    /// timeout or a withdrawal, is the store's `permission_decided` conflict naming the first.
    public func answer(_ id: String, _ decision: Decision) async throws(PluginError) -> PermissionRecord {
        var how: [String: JSONValue] = ["scope": .string(decision.scope.rawValue)]
        if let message = decision.message { how["message"] = .string(message) }
        if let input = decision.updatedInput { how["updated_input"] = input }
        let status: PermissionStatus = decision.verdict == .allow ? .allowed : .denied
        let record: PermissionRecord
        do {
            record = try await store.decidePermissionRequest(id: id, status: status, decidedBy: .person, decision: .object(how))
        } catch {
            throw PluginError(error)
        }
        if decision.verdict == .allow, decision.scope != .once { remember(decision.scope, record) }
        let tool = record.toolName
        let reply: JSONValue = decision.verdict == .allow
            ? ["behavior": "allow", "updated_input": decision.updatedInput ?? record.input]
            : ["behavior": "deny", "message": .string(decision.message.map { "The person denied \(tool): \($0)" } ?? "The person denied \(tool).")]
        finish(record, reply: reply)
        return record
    }

    /// Several answers in one call; each succeeds or fails on its own.
    public func answer(all decisions: [(id: String, decision: Decision)]) async -> [Result<PermissionRecord, PluginError>] {
        var results: [Result<PermissionRecord, PluginError>] = []
        for (id, decision) in decisions {
            do { results.append(.success(try await answer(id, decision))) } catch { results.append(.failure(error)) }
        }
        return results
    }

    /// The backend stopped asking (the CLI cancelled its request): decided `withdrawn`.
    func withdraw(sessionID: String, requestID: String) async {
        let id = state.withLock { $0.waiting.values.first { $0.record.sessionID == sessionID && $0.requestID == requestID }?.record.id }
        if let id { await decide(id, .withdrawn, by: .host, reason: "the session stopped asking", reply: "The request was withdrawn.") }
    }

    /// Withdraws every question of one asker (an interrupt or a stop of it): `agentID` nil is the orchestrator.
    func withdraw(agentID: String?, reason: String) async {
        let ids = state.withLock { $0.waiting.values.filter { $0.record.agentID == agentID }.map(\.record.id) }
        for id in ids { await decide(id, .withdrawn, by: .host, reason: reason, reply: "The request was withdrawn: \(reason).") }
    }

    /// Every open question (the host is stopping): expired, so no turn waits through the stop, and
    /// the inbox after the restart reads as one a SIGKILL left.
    func expireAll(reason: String) async {
        let ids = state.withLock { Array($0.waiting.keys) }
        for id in ids { await decide(id, .expired, by: .host, reason: reason, reply: "The request expired: \(reason).") }
    }

    /// At start: what a stopped host left pending is expired (its sessions were interrupted by the stop).
    func expireLeftovers() async {
        do {
            for record in try await store.expirePermissionRequests(orchestratorID: orchestratorID) {
                publish(.permissionResolved, record, turnID: nil)
                logger.warning("permission request \(record.id) for \(record.toolName) was left unanswered when orch stopped; it is expired")
            }
        } catch {
            logger.error("could not expire the permission requests left from before this start: \(PluginError(error).message)")
        }
    }

    /// The pending requests, newest first.
    public func pending(limit: Int? = nil) async throws(PluginError) -> PermissionsReply {
        do { return try await store.permissionRequests(orchestratorID: orchestratorID, status: .pending, limit: limit) } catch { throw PluginError(error) }
    }

    /// The audit log, newest first.
    public func log(before: String?, limit: Int?) async throws(PluginError) -> PermissionsReply {
        do { return try await store.permissionRequests(orchestratorID: orchestratorID, before: before, limit: limit) } catch { throw PluginError(error) }
    }

    // MARK: Inside

    private struct Asker {
        /// Nil for the orchestrator.
        var agent: AgentRecord?
    }

    private func asker(of session: String) throws(PluginError) -> Asker {
        if let agent = agents?.agent(session: session) { return Asker(agent: agent) }
        guard engine.isOrchestratorSession(session) else {
            throw .notFound("unknown_session", "session \(session) is neither the orchestrator's nor an agent's; Orch asks only about its own sessions")
        }
        return Asker(agent: nil)
    }

    private func grant(for asker: Asker, tool: String) -> String? {
        let held = state.withLock { $0.grants }
        guard let agent = asker.agent else { return held.contains(Grant(holder: .orchestrator, tool: tool)) ? "orchestrator" : nil }
        if held.contains(Grant(holder: .agent(agent.id), tool: tool)) { return "agent" }
        if let template = agent.metadata["template"]?.stringValue, held.contains(Grant(holder: .template(template), tool: tool)) { return "template" }
        return nil
    }

    private func remember(_ scope: Decision.Scope, _ record: PermissionRecord) {
        let holder: Grant.Holder?
        switch (scope, record.agentID) {
        case (.agent, let agentID?): holder = .agent(agentID)
        case (.agent, nil), (.template, nil): holder = .orchestrator
        case (.template, let agentID?):
            holder = (try? agents?.agent(agentID))?.metadata["template"]?.stringValue.map(Grant.Holder.template) ?? .agent(agentID)
        case (.once, _): holder = nil
        }
        if let holder { state.withLock { _ = $0.grants.insert(Grant(holder: holder, tool: record.toolName)) } }
    }

    private func save(_ question: Question, asker: Asker, status: PermissionStatus, decision: JSONValue?,
                      expiresAt: String? = nil) async throws(PluginError) -> PermissionRecord {
        let decided = status != .pending
        let record: PermissionRecord
        do {
            record = try await store.insertPermissionRequest(.init(
                orchestratorID: orchestratorID, agentID: asker.agent?.id, sessionID: question.sessionID, toolName: question.toolName,
                input: question.input, suggestions: question.suggestions, expiresAt: expiresAt, status: status.rawValue,
                decidedBy: decided ? PermissionDecider.rule.rawValue : nil, decision: decision))
        } catch {
            throw PluginError(error)
        }
        if decided { publish(.permissionResolved, record, turnID: question.turnID) }
        return record
    }

    private func expire(_ id: String, after limit: Duration) async {
        let tool = state.withLock { $0.waiting[id]?.record.toolName } ?? "the tool"
        await decide(id, .expired, by: .timeout, reason: "no answer within \(limit)",
                     reply: "No one answered within \(limit) (permissions.timeout_s), so Orch denied \(tool).")
    }

    /// The host's own decision (timeout, withdrawal): the model is told `reply` as a deny.
    private func decide(_ id: String, _ status: PermissionStatus, by decider: PermissionDecider, reason: String, reply: String) async {
        do {
            let record = try await store.decidePermissionRequest(id: id, status: status, decidedBy: decider, decision: ["reason": .string(reason)])
            finish(record, reply: ["behavior": "deny", "message": .string(reply)])
        } catch {
            // Someone answered first: their answer already let the turn go on.
            if PluginError(error).code != "permission_decided" {
                logger.error("permission request \(id): could not save it as \(status.rawValue): \(PluginError(error).message)")
            }
        }
    }

    /// Lets the waiting turn go on with `reply`, publishes the decision, and moves the agent back to running.
    private func finish(_ record: PermissionRecord, reply: JSONValue) {
        let waiting = state.withLock { state in
            let waiting = state.waiting.removeValue(forKey: record.id)
            if waiting == nil { state.early[record.id] = reply }
            return waiting
        }
        waiting?.timeout?.cancel()
        publish(.permissionResolved, record, turnID: nil)
        waiting?.resume.resume(returning: reply)
        guard let agentID = record.agentID else { return }
        let stillAsking = state.withLock { $0.waiting.values.contains { $0.record.agentID == agentID } }
        guard !stillAsking else { return }
        Task {
            await agents?.setStatus(agentID, .running, reason: nil, turnID: nil) { $0.agents[agentID]?.record.status == .needsInput && $0.agents[agentID]?.running != nil }
        }
    }

    private func publish(_ type: WireMessageType, _ record: PermissionRecord, turnID: String?) {
        let name = record.agentID.flatMap { try? agents?.agent($0).name }
        bus.publish(Event(kind: .wire, orchestratorID: orchestratorID, turnID: turnID ?? "",
                          json: WireMessages.permission(type, record, agentName: name)))
    }
}
