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
    private let lock = NSLock()
    private var connection: CLIConnection?
    /// The CLI has a record of this session, so the next process resumes it.
    private var known = false
    /// The CLI's cumulative `total_cost_usd` at the last result, for turns without a per-turn cost.
    private var lastTotalCost: Double?
    private var idleTimer: Task<Void, Never>?
    private var lastTurnEnded = ContinuousClock.now

    init(id: String, context: SessionContext) {
        self.id = id
        self.context = context
    }

    func run(_ turn: TurnRequest, events: EventSink) async throws -> Data {
        await gate.acquire()
        defer { gate.release() }
        lock.withLock { idleTimer?.cancel() }
        defer { scheduleIdleClose() }
        let started = ContinuousClock.now
        let connection = try await liveConnection(directory: turn.workingDirectory, resume: turn.resume)
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
    func prewarm(directory: String, resume: Bool) async throws -> Int32 {
        await gate.acquire()
        defer { gate.release() }
        lock.withLock { idleTimer?.cancel() }
        defer { scheduleIdleClose() }
        return try await liveConnection(directory: directory, resume: resume).pid
    }

    /// Interrupts the running turn; false when none runs.
    func interrupt() async -> Bool {
        guard let connection = lock.withLock({ connection }) else { return false }
        return await connection.stop(.interrupt)
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
        let (live, idleFor) = lock.withLock { (self.connection, ContinuousClock.now - lastTurnEnded) }
        let load = gate.load
        let pid: JSONValue = live.map { JSONValue.int(Int64($0.pid)) } ?? .null
        let directory: JSONValue = live.map { JSONValue.string($0.command.directory) } ?? .null
        return [
            "session_id": .string(id), "pid": pid, "alive": .bool(live?.isAlive ?? false),
            "running": .bool(load.busy), "queued": .int(Int64(load.queued)), "working_dir": directory,
            "idle_s": .int(idleFor.components.seconds),
        ]
    }

    // MARK: -

    private func liveConnection(directory: String, resume requested: Bool) async throws -> CLIConnection {
        if let current = lock.withLock({ connection }), current.isAlive {
            if current.command.directory == directory { return current }
            context.host.log(.info, "session \(id) moves to \(directory); restarting its Claude CLI there")
            await closeConnection()
        }
        let resume = lock.withLock { known } || requested
        let executable = try await context.cli.path()
        let tools = await HostTools(host: context.host).list()
        let command = LaunchCommand(config: context.config, executable: executable, sessionID: id, resume: resume,
                                    directory: directory, hostTools: !tools.isEmpty, run: context.run.id)
        do {
            let started = try CLIConnection(command: command, sessionID: id, tools: tools, policy: context.config.permissionPolicy,
                                            host: context.host, stats: context.stats)
            lock.withLock { connection = started }
            return started
        } catch {
            throw CLILocator.spawnFailed(error)
        }
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
