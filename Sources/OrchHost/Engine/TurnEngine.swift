import Foundation
import Logging
import PluginAPI
import StoreModel

/// Runs the orchestrator's turns, one at a time, in arrival order:
/// persist the user message → run the backend, streaming its events → save
/// each finished block → update session, tokens and cost.
public final class TurnEngine: @unchecked Sendable {
    public struct Settings: Sendable {
        public var workingDir: String
        public var maxMessageBytes: Int
        public var model: String
        /// How long the end of a turn waits for its writes (while the store answers) before reporting completion anyway.
        public var flushTimeout: Duration = .seconds(30)

        public init(workingDir: String, maxMessageBytes: Int, model: String) {
            self.workingDir = workingDir
            self.maxMessageBytes = maxMessageBytes
            self.model = model
        }
    }

    public struct Accepted: Sendable {
        public var messageID: String
        public var turnID: String
        public var queued: Bool
        /// Resolves when the turn ends.
        public let outcome: TurnOutcome
    }

    struct Pending: Sendable {
        var turnID: String
        var messageID: String
        var message: String
        var outcome: TurnOutcome
        /// It waited behind another turn, so its message was saved before that turn's reply.
        var queued: Bool
    }

    public let store: StoreAPI
    let backend: BackendClient
    let bus: EventBus
    let logger: Logger
    public let settings: Settings
    private let lock = NSLock()
    private var orchestratorRecord: OrchestratorRecord
    private var waiting = 0
    private var running: Pending?
    /// The running turn's recorder: an interrupt marks what is finalized after it as cut off.
    private var runningRecorder: TurnRecorder?
    /// The session the running turn uses.
    private var currentSession: String?
    /// The session a first turn creates, chosen up front so `prewarm` can start its process.
    private let firstSessionID = UUID().uuidString.lowercased()
    /// Set by `shutdown`: new messages are refused and queued turns cancelled.
    private var stopping = false
    /// Cleared when the store turns out not to have `set_status`.
    private var storeTracksStatus = true
    private let queue: AsyncStream<Pending>.Continuation
    private var worker: Task<Void, Never>?
    private(set) lazy var outbox = Outbox(logger: logger) { [weak self] error in self?.reportStoreOutage(error) }

    public init(orchestrator: OrchestratorRecord, store: StoreAPI, backend: BackendClient, bus: EventBus, logger: Logger, settings: Settings) {
        self.orchestratorRecord = orchestrator
        self.store = store
        self.backend = backend
        self.bus = bus
        self.logger = logger
        self.settings = settings
        let (stream, continuation) = AsyncStream<Pending>.makeStream()
        self.queue = continuation
        worker = Task { [weak self] in
            for await turn in stream {
                guard let self else { return }
                await self.execute(turn)
            }
        }
    }

    public var orchestrator: OrchestratorRecord { lock.withLock { orchestratorRecord } }
    public var orchestratorID: String { orchestrator.id }

    /// Checks an orchestrator id from a client: malformed and unknown are different mistakes.
    public func checkOrchestratorID(_ id: String) throws(PluginError) {
        try ChatRequestRules.validateUUID(id, field: "orchestrator_agent_id")
        guard id.lowercased() == orchestratorID else {
            throw .notFound("unknown_orchestrator", "orchestrator \(id) is not served here; this host serves \(orchestratorID) (see /get_orchestrator)")
        }
    }

    /// Validates and persists the user message, then queues its turn. The
    /// message is saved before anything runs; if it cannot be saved, nothing runs.
    public func send(orchestratorID id: String, message: String) async throws(PluginError) -> Accepted {
        try checkOrchestratorID(id)
        try ChatRequestRules.validateMessage(message, limit: settings.maxMessageBytes)
        guard !lock.withLock({ stopping }) else {
            throw PluginError(.unavailable, code: "host_shutting_down", "orch is shutting down, so the message was not saved; send it again once orch is back")
        }
        let turnID = UUIDv7.next()
        let saved: ChatMessageRecord
        do {
            saved = try await store.insertChat(NewChatMessage(
                orchestratorID: orchestratorID, sender: .user, receiver: .orchestrator, message: message,
                metadata: .object(["turn_id": .string(turnID)])))
        } catch {
            let failure = PluginError(error)
            logger.error("refused a message for \(orchestratorID): the store could not save it: \(failure)")
            throw Self.storeFailure(failure, "the message was not saved, so nothing was run: \(failure.message); send it again once the store is back")
        }
        logger.info("chat user→orchestrator", metadata: ["orchestrator": "\(orchestratorID)", "turn": "\(turnID)", "preview": "\(Self.preview(message))"])
        publish(WireMessages.chat(saved), turnID: turnID)
        return admit(turnID: turnID, messageID: saved.id, message: message)
    }

    /// An agent's result is saved (and published) as `row`: the orchestrator gets a turn to read
    /// it, queued behind a running turn like a message. Nothing is queued while the host stops.
    public func notify(row: ChatMessageRecord, prompt: String) {
        guard !lock.withLock({ stopping }) else { return }
        _ = admit(turnID: UUIDv7.next(), messageID: row.id, message: prompt)
    }

    /// Whether `session` is the orchestrator's (it gets the management tools; agents do not).
    public func isOrchestratorSession(_ session: String) -> Bool {
        lock.withLock { session == orchestratorRecord.sessionID || session == currentSession || session == firstSessionID }
    }

    /// Queues the turn of a saved message.
    private func admit(turnID: String, messageID: String, message: String) -> Accepted {
        let outcome = TurnOutcome()
        let position: Int = lock.withLock {
            waiting += 1
            return waiting - 1 + (running == nil ? 0 : 1)
        }
        if position > 0 {
            publish(WireMessages.turnQueued(orchestratorID: orchestratorID, turnID: turnID, position: position), turnID: turnID)
        }
        queue.yield(Pending(turnID: turnID, messageID: messageID, message: message, outcome: outcome, queued: position > 0))
        return Accepted(messageID: messageID, turnID: turnID, queued: position > 0, outcome: outcome)
    }

    /// Interrupts the running turn, if any.
    public func interrupt(orchestratorID id: String) async throws(PluginError) -> Bool {
        try checkOrchestratorID(id)
        // The session of the running turn: a first turn's new session, or one started after a lost session.
        guard let (session, recorder) = lock.withLock({ running == nil ? nil : currentSession.map { ($0, runningRecorder) } }) else { return false }
        recorder?.interruptRequested()
        do {
            _ = try await backend.request(try JSON.encode(["op": "interrupt", "session_id": session]))
            return true
        } catch {
            throw PluginError(error)
        }
    }

    /// Asks the backend to start the orchestrator's session now, in the background, so the
    /// first message does not pay the model process's cold start. A backend without the
    /// op (or with it turned off) just says so; nothing waits for this.
    public func prewarm() {
        let record = orchestrator
        let request: [String: JSONValue] = [
            "op": .string("prewarm"), "session_id": .string(record.sessionID ?? firstSessionID),
            "resume": .bool(record.sessionID != nil), "working_dir": .string(settings.workingDir),
        ]
        Task { [backend, logger] in
            do {
                let reply = try await backend.request(try JSON.encode(request))
                logger.debug("prewarm: \(String(decoding: reply, as: UTF8.self))")
            } catch {
                let failure = PluginError(error)
                if failure.status == .unsupported { return }
                logger.warning("could not start the orchestrator's session ahead of its first message: \(failure.message); the first message will start it")
            }
        }
    }

    private func publish(_ json: Data, turnID: String? = nil) {
        bus.publish(Event(kind: .wire, orchestratorID: orchestratorID, turnID: turnID ?? "", json: json))
    }

    private func execute(_ turn: Pending) async {
        if lock.withLock({ stopping }) {
            lock.withLock { waiting -= 1 }
            markCutOff(turn, ran: false)
            publish(WireMessages.turnComplete(orchestratorID: orchestratorID, turnID: turn.turnID, status: "cancelled"), turnID: turn.turnID)
            turn.outcome.resolve(.failure(PluginError(.cancelled, code: "host_shutting_down",
                                                      "the host shut down before this turn ran; the message is saved, send it again")))
            return
        }
        let (known, sessionID): (OrchestratorRecord, String) = lock.withLock {
            waiting -= 1
            running = turn
            let session = orchestratorRecord.sessionID ?? firstSessionID
            currentSession = session
            return (orchestratorRecord, session)
        }
        let resume = known.sessionID != nil
        if turn.queued {
            // The conversation is what the model saw: this message comes after the reply it waited for
            // (the outbox writes in order, so after that reply's rows and before this turn's).
            let (store, id, messageID) = (store, known.id, turn.messageID)
            outbox.enqueue("place of message \(messageID)") { try await store.moveChatToEnd(orchestratorID: id, id: messageID) }
        }
        recordStatus("executing", turnID: turn.turnID)
        publish(WireMessages.typing(orchestratorID: known.id, isTyping: true), turnID: turn.turnID)
        let recorder = TurnRecorder(turnID: turn.turnID, orchestratorID: known.id, model: settings.model, bus: bus, outbox: outbox, store: store)
        lock.withLock { runningRecorder = recorder }
        let outcome: Result<CompletedTurn, PluginError>
        do {
            let reply = try await runBackend(turn, recorder: recorder, session: sessionID, resume: resume)
            recorder.finishTurn()
            outcome = .success(try finish(turn, recorder: recorder, reply: reply.body, sessionID: reply.session))
        } catch {
            var failure = PluginError(error)
            let interrupted = Self.isInterruption(failure)
            if interrupted && lock.withLock({ stopping }) {
                failure = PluginError(.cancelled, code: "host_shutting_down",
                                      "orch is shutting down, so this reply was cut off; what was written is saved, marked incomplete: send the message again once orch is back")
            }
            recorder.savePartial(outcome: interrupted ? "interrupted" : "failed", error: failure)
            recorder.finishTurn()
            if failure.code == "host_shutting_down" { markCutOff(turn, ran: true) }
            if let result = recorder.accountingOfFailure { account(result, turnID: turn.turnID, fallbackSession: sessionID) }
            if !interrupted { logger.error("turn \(turn.turnID) failed: \(failure)") }
            publish(WireMessages.error(orchestratorID: known.id, turnID: turn.turnID, failure), turnID: turn.turnID)
            systemLog(interrupted ? "INFO" : "ERROR", "turn \(interrupted ? "interrupted" : "failed"): \(failure.message)",
                      ["turn_id": .string(turn.turnID), "error_class": .string(failure.code)])
            outcome = .failure(failure)
        }
        recordStatus("idle", turnID: turn.turnID)
        _ = await outbox.flush(timeout: settings.flushTimeout)
        publish(WireMessages.typing(orchestratorID: known.id, isTyping: false), turnID: turn.turnID)
        let status = switch outcome {
        case .success: "success"
        case .failure(let error): Self.isInterruption(error) ? "interrupted" : "failed"
        }
        publish(WireMessages.turnComplete(orchestratorID: known.id, turnID: turn.turnID, status: status), turnID: turn.turnID)
        lock.withLock { (running, runningRecorder) = (nil, nil) }
        turn.outcome.resolve(outcome)
    }

    /// Runs the turn on the backend. A session the backend no longer knows (its
    /// files were removed) is not fatal: the turn runs again in a new session.
    private func runBackend(_ turn: Pending, recorder: TurnRecorder, session: String, resume: Bool) async throws -> (body: Data, session: String) {
        func attempt(_ session: String, _ resume: Bool) async throws -> Data {
            let request: [String: JSONValue] = [
                "turn_id": .string(turn.turnID), "orchestrator_id": .string(orchestratorID), "session_id": .string(session),
                "resume": .bool(resume), "message": .string(turn.message), "working_dir": .string(settings.workingDir),
            ]
            return try await backend.runTurn(try JSON.encode(request)) { recorder.handle($0) }
        }
        do {
            return (try await attempt(session, resume), session)
        } catch let error as PluginError where resume && error.code == "session_not_found" {
            let fresh = UUID().uuidString.lowercased()
            logger.warning("session \(session) is gone from the backend (\(error.message)); continuing in a new session \(fresh)")
            systemLog("WARNING", "session \(session) could not be resumed; started \(fresh)", ["turn_id": .string(turn.turnID)])
            lock.withLock { currentSession = fresh }
            return (try await attempt(fresh, false), fresh)
        }
    }

    /// After a successful turn: account for it and log the reply.
    private func finish(_ turn: Pending, recorder: TurnRecorder, reply: Data, sessionID: String) throws -> CompletedTurn {
        let result = try JSONDecoder().decode(JSONValue.self, from: reply)
        let (session, usage, cost) = account(result, turnID: turn.turnID, fallbackSession: sessionID)
        let id = orchestratorID
        logger.info("chat orchestrator→user", metadata: ["orchestrator": "\(id)", "turn": "\(turn.turnID)",
                                                         "preview": "\(Self.preview(recorder.response))", "cost_usd": "\(cost)"])
        return CompletedTurn(turnID: turn.turnID, messageID: turn.messageID, response: recorder.response, sessionID: session, usage: usage, cost: cost)
    }

    /// Remembers the turn's session at once (the next turn needs it even while the store
    /// is down), then saves session, tokens and cost through the outbox, in order.
    @discardableResult
    private func account(_ result: JSONValue, turnID: String, fallbackSession: String) -> (session: String, usage: JSONValue, cost: Double) {
        let spent = TurnUsage(result, fallbackSession: fallbackSession)
        let (session, input, output, cost) = (spent.session, spent.inputTokens, spent.outputTokens, spent.cost)
        let previousSession: String? = lock.withLock {
            defer { orchestratorRecord.sessionID = session }
            return orchestratorRecord.sessionID
        }
        let (store, id) = (store, orchestratorID)
        outbox.enqueue("usage of turn \(turnID)") { [weak self] in
            if previousSession != session { _ = try await store.updateSession(orchestratorID: id, sessionID: session) }
            let updated = try await store.addUsage(orchestratorID: id, inputTokens: input, outputTokens: output, costUSD: cost)
            self?.updated(updated, turnID: turnID)
        }
        return (session, spent.usage, cost)
    }

    /// The durable fact a restart needs (`CutOffTurns`): which turn runs, written in order with the
    /// turn's other writes. Not published: clients follow a turn by typing and turn_complete already.
    /// A store without `set_status` (an older third-party one) only loses the markers.
    private func recordStatus(_ status: String, turnID: String) {
        guard lock.withLock({ storeTracksStatus }) else { return }
        let (store, id) = (store, orchestratorID)
        let detail: JSONValue? = status == "idle" ? nil : ["turn_id": .string(turnID)]
        outbox.enqueue("status \(status) of turn \(turnID)") { [weak self] in
            do {
                let record = try await store.setStatus(orchestratorID: id, status: status, detail: detail)
                self?.lock.withLock { self?.orchestratorRecord = record }
            } catch let error as PluginError where error.status == .unsupported {
                self?.lock.withLock { self?.storeTracksStatus = false }
                self?.logger.warning("the store does not keep the orchestrator's status (\(error.message)); a turn cut off by a crash will not be marked after a restart")
            }
        }
    }

    /// A turn a graceful stop ended: its history says so, as a restart's recovery would (`CutOffTurns`).
    private func markCutOff(_ turn: Pending, ran: Bool) {
        let (store, id, turnID) = (store, orchestratorID, turn.turnID)
        let moving = turn.queued && !ran ? turn.messageID : nil
        outbox.enqueue("cut-off marker of turn \(turnID)") {
            try await CutOffTurns.write(turnID, ran: ran, moving: moving, orchestratorID: id, store: store)
        }
    }

    private func updated(_ record: OrchestratorRecord, turnID: String) {
        lock.withLock { orchestratorRecord = record }
        publish(WireMessages.orchestratorUpdated(record), turnID: turnID)
    }

    private func reportStoreOutage(_ error: PluginError) {
        publish(WireMessages.error(orchestratorID: orchestratorID, turnID: nil, PluginError(
            .unavailable, code: "store_unavailable",
            "the store is unavailable (\(error.message)); replies are kept and saved when it is back")))
    }

    /// A system event, logged and written to system_logs (best effort, in order with the turn's writes).
    func systemLog(_ level: String, _ message: String, _ metadata: [String: JSONValue] = [:]) {
        var fields = metadata
        fields["orchestrator_agent_id"] = .string(orchestratorID)
        let (store, metadata) = (store, JSONValue.object(fields))
        outbox.enqueue("system log") { _ = try await store.insertSystemLog(level: level, message: message, metadata: metadata) }
    }

    /// Interrupts the running turn, lets queued turns be refused, and waits for the writes in flight.
    public func shutdown(timeout: Duration) async {
        lock.withLock { stopping = true }
        queue.finish()
        if lock.withLock({ running }) != nil { _ = try? await interrupt(orchestratorID: orchestratorID) }
        _ = await waitUntil(timeout: timeout) { done in
            Task { [weak self] in
                await self?.worker?.value
                done(true)
            }
        }
        if await !outbox.drain(timeout: timeout) {
            logger.error("shutting down with \(outbox.pending) store writes still unsaved: the store did not come back within \(timeout)")
        }
    }

    /// A store failure as a client sees it: a rule the store enforces is the client's to fix
    /// (passed on as is); anything else means the store is the problem (`store_unavailable`, `message`).
    static func storeFailure(_ failure: PluginError, _ message: String) -> PluginError {
        guard [.unavailable, .timeout, .internal].contains(failure.status) else { return failure }
        return PluginError(.unavailable, code: "store_unavailable", message)
    }

    /// A turn ended by an interrupt (the user's, or the shutdown's) rather than by a failure.
    static func isInterruption(_ error: PluginError) -> Bool {
        error.status == .cancelled || error.code == "interrupted"
    }

    /// A message on one line, shortened for logs and for the agents' summaries and results.
    static func preview(_ text: String, limit: Int = 80) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }
}
