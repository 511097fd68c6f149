import Foundation
import PluginAPI

/// One Claude session (one conversation, one `session_id`) and the CLI process
/// serving it, when there is one. Turns run one at a time; the process is
/// started on demand (`--session-id` for a new session, `--resume` for a known
/// one), kept warm between turns, and closed after `idle_timeout_s`.
final class Session: @unchecked Sendable {
    let id: String
    private let context: SessionContext
    private let gate = TurnGate()
    /// Held while a process is being started (spawn and `initialize`), so a stop waits for it and stops it.
    private let starting = TurnGate()
    private let lock = NSLock()
    private var connection: CLIConnection?
    /// The CLI has a record of this session, so the next process resumes it.
    private var known = false
    /// The CLI's cumulative `total_cost_usd` at the last result, for turns without a per-turn cost.
    private var lastTotalCost: Double?
    private var idleTimer: Task<Void, Never>?
    /// The settings the session's process is (or will be) started with: the last non-empty
    /// ones a turn or prewarm sent (SessionSettings), else the config's.
    private var settings = SessionSettings()
    /// Grows at each `stop_session`: a turn that queued before it fails instead of running.
    private var stops = 0
    /// Turns that called `run`, and turns that returned from it (in order: the gate is FIFO).
    /// A turn between the two is waiting, starting its process, or running.
    private var turnsEntered = 0
    private var turnsEnded = 0
    /// A turn (not a prewarm or an idle close) holds the gate.
    private var turnHoldsGate = false
    private var lastTurnEnded = ContinuousClock.now

    init(id: String, context: SessionContext) {
        self.id = id
        self.context = context
    }

    func run(_ turn: TurnRequest, events: EventSink) async throws -> Data {
        let stopsBefore = lock.withLock { turnsEntered += 1; return stops }
        await gate.acquire()
        lock.withLock { turnHoldsGate = true }
        // Counted as ended before the next turn can take the gate, so an interrupt never reaches it.
        defer {
            lock.withLock { turnsEnded += 1; turnHoldsGate = false }
            gate.release()
        }
        guard lock.withLock({ stops }) == stopsBefore else { throw TurnFailure.stoppedBeforeSent }
        lock.withLock { idleTimer?.cancel() }
        defer { scheduleIdleClose() }
        let started = ContinuousClock.now
        let connection = try await liveConnection(directory: turn.workingDirectory, resume: turn.resume, settings: turn.settings,
                                                  unlessStoppedSince: stopsBefore)
        // Stopped while the process started: the stop ends it; the message is not sent.
        guard lock.withLock({ stops }) == stopsBefore else { throw TurnFailure.stoppedBeforeSent }
        let assembler = TurnAssembler(turn: turn, events: events)
        let limit = context.config.turnTimeout
        let deadline = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            _ = await connection.stop(.timeout(limit), forceAfter: .seconds(5))
        }
        let ending = await connection.run(assembler, message: turn.message)
        deadline.cancel()
        if assembler.facts.sawInit { lock.withLock { known = true } }

        switch ending.end {
        case .result(let result):
            let cost = lock.withLock {
                defer { lastTotalCost = result.totalCostUSD ?? lastTotalCost }
                return TurnCost.of(result, previousTotal: lastTotalCost)
            }
            let summary = TurnSummary.json(result, sessionID: id, cost: cost, duration: .now - started, model: assembler.facts.model)
            if let failure = TurnFailure.fromResult(result, facts: assembler.facts, stop: ending.stop, retries: assembler.facts.retries) {
                // The turn failed, but it may have cost something: the host still gets the accounting.
                assembler.status(["status": "turn_failed", "error": ["code": .string(failure.code), "message": .string(failure.message)],
                                  "result": summary])
                throw failure
            }
            return try JSON.encode(summary)
        case .exited(let status):
            throw TurnFailure.fromExit(status, stderr: ending.stderr, stop: ending.stop, partialCharacters: ending.partialCharacters)
        }
    }

    /// Starts the CLI process now, without a prompt, so the first turn does not wait for its
    /// cold start; it is closed after `idle_timeout_s` like any idle process. Returns its pid.
    func prewarm(directory: String, resume: Bool, settings: SessionSettings) async throws -> Int32 {
        let stopsBefore = lock.withLock { stops }
        await gate.acquire()
        defer { gate.release() }
        lock.withLock { idleTimer?.cancel() }
        defer { scheduleIdleClose() }
        return try await liveConnection(directory: directory, resume: resume, settings: settings, unlessStoppedSince: stopsBefore).pid
    }

    /// What `stop_session` did.
    struct StopOutcome: Sendable {
        var pid: Int32
        var escalation: CLIConnection.Escalation
        var status: ExitStatus
    }

    /// Ends the session's process for good, now (`stop_session`): the running turn is
    /// interrupted, the queued ones fail, and the process is closed, then SIGTERMed,
    /// then SIGKILLed, `grace` apart. Returns after its exit was reaped; nil when the
    /// session had no live process. The next turn resumes the session in a new process.
    func stop(grace: Duration) async -> StopOutcome? {
        // Counted first, so that a turn starting its process now does not send its message;
        // the process itself is stopped once it exists.
        lock.withLock {
            stops += 1
            idleTimer?.cancel()
        }
        await starting.acquire()
        let live: CLIConnection? = lock.withLock {
            defer { connection = nil }
            return connection
        }
        starting.release()
        guard let live, live.isAlive else { return nil }
        let pid = live.pid
        context.host.log(.info, "stopping the Claude CLI (pid \(pid)) of session \(id)")
        guard let (escalation, status) = await live.terminate(grace: grace) else { return nil }
        return StopOutcome(pid: pid, escalation: escalation, status: status)
    }

    /// Interrupts the session's current turn (the oldest that has not ended); false when there
    /// is none. A turn that is still waiting for the session (behind a prewarm) or starting its
    /// process (spawn and `initialize`, about half a second) is interrupted as soon as it is
    /// sent; the turns queued behind it are not touched.
    func interrupt() async -> Bool {
        let target = lock.withLock { turnsEntered > turnsEnded ? turnsEnded + 1 : nil }
        guard let target else { return false }
        while true {
            let (current, ended) = lock.withLock { (connection, turnsEnded >= target) }
            if ended { return false }
            if let current, await current.stop(.interrupt) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Closes the CLI process now; refused while a turn runs or waits.
    func close() async throws(PluginError) {
        guard gate.tryAcquire() else {
            throw PluginError(.conflict, code: "session_busy", "session \(id) has a turn running or queued; interrupt it first, then close the session")
        }
        defer { gate.release() }
        await closeConnection()
    }

    /// For `destroy`: stop without waiting for turns (the host has none outstanding then).
    func beginShutdown() -> CLIConnection? {
        lock.withLock {
            idleTimer?.cancel()
            defer { connection = nil }
            return connection
        }
    }

    var status: JSONValue {
        let (live, idleFor, turn) = lock.withLock { (self.connection, ContinuousClock.now - lastTurnEnded, turnHoldsGate) }
        let load = gate.load
        let pid: JSONValue = live.map { JSONValue.int(Int64($0.pid)) } ?? .null
        let directory: JSONValue = live.map { JSONValue.string($0.command.directory) } ?? .null
        return [
            "session_id": .string(id), "pid": pid, "alive": .bool(live?.isAlive ?? false),
            // A turn, not a prewarm, holds the session, and its process exists: a running session always
            // has a pid (a turn starting its process counts as running from the spawn on).
            "running": .bool(turn && live?.isAlive == true), "queued": .int(Int64(load.queued)), "working_dir": directory,
            "idle_s": .int(idleFor.components.seconds),
        ]
    }

    // MARK: -

    /// The session's live process, started (or restarted) in `directory` with the session's settings;
    /// non-empty `requested` settings replace those first. Refused when the session was stopped after
    /// the caller counted `stops`, so a stop cannot be overtaken by a start that was about to begin.
    private func liveConnection(directory: String, resume requested: Bool, settings requestedSettings: SessionSettings,
                                unlessStoppedSince stopsBefore: Int) async throws -> CLIConnection {
        await starting.acquire()
        defer { starting.release() }
        guard lock.withLock({ stops }) == stopsBefore else { throw TurnFailure.stoppedBeforeSent }
        let (current, settings, changed): (CLIConnection?, SessionSettings, Bool) = lock.withLock {
            let changed = !requestedSettings.isEmpty && requestedSettings != self.settings
            if changed { self.settings = requestedSettings }
            return (connection, self.settings, changed)
        }
        if let current, current.isAlive {
            if current.command.directory == directory && !changed { return current }
            context.host.log(.info, changed ? "session \(id) has new settings; restarting its Claude CLI with them"
                                            : "session \(id) moves to \(directory); restarting its Claude CLI there")
            await closeConnection()
        }
        let resume = lock.withLock { known } || requested
        let executable = try await context.cli.path()
        let tools = await HostTools(host: context.host, sessionID: id).list()
        let command = LaunchCommand(config: context.config, executable: executable, sessionID: id, resume: resume,
                                    directory: directory, hostTools: !tools.isEmpty, run: context.run.id, settings: settings)
        let started: CLIConnection
        do {
            started = try CLIConnection(command: command, sessionID: id, tools: tools, policy: context.config.permissionPolicy,
                                        host: context.host, stats: context.stats)
        } catch {
            throw CLILocator.spawnFailed(error)
        }
        lock.withLock { connection = started }
        _ = await started.initialize()
        return started
    }

    private func closeConnection() async {
        guard let closing = lock.withLock({ defer { connection = nil }; return connection }) else { return }
        await closing.close()
    }

    private func scheduleIdleClose() {
        let timeout = context.config.idleTimeout
        lock.withLock {
            lastTurnEnded = .now
            idleTimer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled, let self, gate.tryAcquire() else { return }
                defer { gate.release() }
                if lock.withLock({ connection?.isAlive ?? false }) {
                    context.host.log(.info, "closing the idle Claude CLI of session \(id) after \(timeout)")
                }
                await closeConnection()
            }
        }
    }
}
