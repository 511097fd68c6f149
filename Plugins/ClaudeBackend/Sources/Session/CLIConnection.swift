import Foundation
import PluginAPI

/// One running CLI process of one session: writes user messages and control
/// requests to it, and routes each line it prints, on its reader thread, to the
/// control handler or to the turn in progress. A turn ends with its `result`
/// line or with the process's exit, whichever comes first.
final class CLIConnection: @unchecked Sendable {
    /// How a turn ended, and what Orch had asked of it.
    struct Ending {
        enum End {
            case result(CLIMessage)
            case exited(ExitStatus)
        }
        var end: End
        var stop: StopReason?
        var stderr: [String]
        /// Characters of streamed text kept as partial blocks when the process died.
        var partialCharacters = 0
    }

    let command: LaunchCommand
    let sessionID: String
    private var process: ChildProcess?
    private var control: ControlHandler?
    private let host: GuardedHost
    private let stats: LatencyStats
    private let decoder = JSONDecoder()
    private let lock = NSLock()
    private var active: ActiveTurn?
    private var exit: ExitStatus?
    private var stderrTail: [String] = []
    private var pendingControl: [String: CheckedContinuation<Bool, Never>] = [:]
    private var requestCounter = 0
    private var turnCounter = 0
    /// `terminate` has begun: a turn that arrives now is not sent; the coming exit ends it.
    private var terminating = false

    private struct ActiveTurn {
        var id: Int
        var turnID: String
        var assembler: TurnAssembler
        var continuation: CheckedContinuation<Ending, Never>
        var stop: StopReason?
    }

    init(command: LaunchCommand, sessionID: String, tools: [HostTool], policy: BackendConfig.PermissionPolicy,
         host: GuardedHost, stats: LatencyStats) throws(SpawnError) {
        self.command = command
        self.sessionID = sessionID
        self.host = host
        self.stats = stats
        let toolServer = tools.isEmpty ? nil : ToolServer(tools: tools, host: HostTools(host: host, sessionID: sessionID),
                                                          currentTurn: { [weak self] in self?.lock.withLock { self?.active?.turnID } })
        control = ControlHandler(policy: policy, toolServer: toolServer, host: host, sessionID: sessionID,
                                 currentTurn: { [weak self] in self?.lock.withLock { self?.active?.turnID } },
                                 reply: { [weak self] line in self?.process?.write(line) },
                                 hook: { [weak self] request in self?.hookArrived(request) })
        process = try ChildProcess(
            executable: command.executable, arguments: command.arguments, environment: command.environment,
            directory: command.directory, name: "claude-\(sessionID.prefix(8))",
            callbacks: .init(line: { [self] bytes, readAt in receive(bytes, readAt: readAt) },
                             stderrLine: { [self] line in stderr(line) },
                             oversized: { size in host.log(.error, "dropped a \(size)-byte line from the Claude CLI for session \(sessionID): larger than \(ChildProcess.maxLineBytes) bytes") },
                             exit: { [self] status in exited(status) }))
        host.log(.info, "started the Claude CLI (pid \(pid)) for session \(sessionID) in \(command.directory)")
    }

    var pid: Int32 { process?.pid ?? 0 }
    var isAlive: Bool { lock.withLock { exit == nil } }

    /// Writes the user message and waits for the turn to end; never throws: the ending says how.
    func run(_ assembler: TurnAssembler, message: JSONValue) async -> Ending {
        await withCheckedContinuation { continuation in
            let (refused, send): (Ending?, Bool) = lock.withLock {
                if let exit { return (Ending(end: .exited(exit), stop: terminating ? .stopped : nil, stderr: stderrTail), false) }
                turnCounter += 1
                active = ActiveTurn(id: turnCounter, turnID: assembler.turnID, assembler: assembler, continuation: continuation,
                                    stop: terminating ? .stopped : nil)
                return (nil, !terminating)
            }
            if let refused {
                continuation.resume(returning: refused)
                return
            }
            guard send else { return }
            // A failed write means the process is going away; its exit ends the turn.
            process?.write(CLIInput.userMessage(message))
        }
    }

    /// Sends the `initialize` control request that registers Orch's hook callbacks
    /// (CLIInput.initializeRequest); the first thing a new process is told. False
    /// if the CLI refused it, exited, or did not answer within `timeout`.
    func initialize(timeout: Duration = .seconds(30)) async -> Bool {
        let answered = await controlRequest(CLIInput.initializeRequest, timeout: timeout)
        if !answered && isAlive {
            host.log(.warning, "the Claude CLI for session \(sessionID) did not accept the initialize request; its hooks are not reported")
        }
        return answered
    }

    /// How `terminate` ended the process.
    enum Escalation: String, Sendable {
        /// It exited after its stdin closed.
        case exited
        case sigterm
        case sigkill
    }

    /// Stops the process for good (`stop_session`): interrupts the running turn (which
    /// then fails as `interrupted`) and gives it `grace` to end, closes stdin and
    /// waits `grace`, SIGTERMs the process group and waits `grace`, then SIGKILLs
    /// it. Returns once the exit has been reaped.
    func terminate(grace: Duration) async -> (escalation: Escalation, status: ExitStatus)? {
        guard let process else { return nil }
        lock.withLock { terminating = true }
        if let turnID = markStop(.stopped) {
            Task { [self] in _ = await controlRequest(["subtype": "interrupt"], timeout: grace) }
            let deadline = ContinuousClock.now + grace
            while lock.withLock({ active?.id == turnID }), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        process.closeStdin()
        var escalation = Escalation.exited
        if await !process.waitForExit(timeout: grace) {
            host.log(.warning, "the Claude CLI for session \(sessionID) did not exit \(grace) after its stdin closed; sending SIGTERM to its process group")
            escalation = .sigterm
            process.signalGroup(SIGTERM)
            if await !process.waitForExit(timeout: grace) {
                host.log(.warning, "the Claude CLI for session \(sessionID) did not exit \(grace) after SIGTERM; sending SIGKILL to its process group")
                escalation = .sigkill
                process.signalGroup(SIGKILL)
                while await !process.waitForExit(timeout: .seconds(5)) {
                    host.log(.error, "the Claude CLI (pid \(pid)) for session \(sessionID) has not exited 5 s after SIGKILL; still waiting")
                }
            }
        }
        return (escalation, process.exitStatus ?? .unknown)
    }

    /// Interrupts the running turn (the CLI answers with an error result and stays
    /// usable). With `forceAfter`, kills the process if the turn has not ended by then.
    /// Returns false when no turn was running.
    func stop(_ reason: StopReason, forceAfter grace: Duration? = nil) async -> Bool {
        guard let turnID = markStop(reason) else { return false }
        async let acknowledged = controlRequest(["subtype": "interrupt"], timeout: .seconds(10))
        if let grace {
            try? await Task.sleep(for: grace)
            if lock.withLock({ active?.id == turnID }) {
                host.log(.warning, "the Claude CLI for session \(sessionID) did not end the turn \(grace) after an interrupt; killing it")
                process?.signal(SIGKILL)
            }
        }
        if await !acknowledged {
            host.log(.warning, "the Claude CLI for session \(sessionID) did not acknowledge an interrupt")
        }
        return true
    }

    /// Records why Orch stops the running turn (the first reason wins); its id, or nil when none runs.
    private func markStop(_ reason: StopReason) -> Int? {
        lock.withLock {
            guard var turn = active else { return nil }
            if turn.stop == nil { turn.stop = reason }
            active = turn
            return turn.id
        }
    }

    /// Ends the process as the SDK does: stdin closed (it saves the session and
    /// exits), then SIGTERM, then SIGKILL, `grace` apart.
    func close(grace: Duration = .seconds(5)) async {
        guard let process else { return }
        process.closeStdin()
        for signal in [SIGTERM, SIGKILL] {
            if await process.waitForExit(timeout: grace) { return }
            host.log(.warning, "the Claude CLI for session \(sessionID) did not exit \(grace) after \(signal == SIGTERM ? "its stdin closed" : "SIGTERM"); sending \(signal == SIGTERM ? "SIGTERM" : "SIGKILL")")
            process.signal(signal)
        }
        _ = await process.waitForExit(timeout: grace)
    }

    /// For `destroy`, which may block: begin with `closeStdin`, then `finishClose`.
    func closeStdin() { process?.closeStdin() }

    func finishClose(until deadline: Date) {
        guard let process else { return }
        if process.waitForExitBlocking(until: deadline) { return }
        process.signal(SIGTERM)
        if process.waitForExitBlocking(until: Date().addingTimeInterval(1)) { return }
        process.signal(SIGKILL)
        _ = process.waitForExitBlocking(until: Date().addingTimeInterval(1))
    }

    // MARK: - The reader thread

    private func receive(_ bytes: ArraySlice<UInt8>, readAt: ContinuousClock.Instant) {
        guard let first = bytes.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }) else { return }
        let message: CLIMessage
        do {
            guard first == UInt8(ascii: "{") else { throw CocoaError(.coderReadCorrupt) }
            message = try decoder.decode(CLIMessage.self, from: Data(bytes))
        } catch {
            host.log(.warning, "skipped a malformed line from the Claude CLI for session \(sessionID) (\(bytes.count) bytes): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
            return
        }
        switch message.type {
        case "control_request":
            control?.handle(id: message.requestID ?? "", request: message.request ?? .null)
        case "control_response":
            let answered = message.response?.requestID.flatMap { id in lock.withLock { pendingControl.removeValue(forKey: id) } }
            answered?.resume(returning: message.response?.subtype == "success")
        case "control_cancel_request":
            control?.cancel(id: message.requestID ?? "")
        default:
            guard let turn = lock.withLock({ active }) else { return }
            if let result = turn.assembler.handle(message) {
                finish(turn.id) { Ending(end: .result(result), stop: $0.stop, stderr: $1) }
            }
            if message.type == "stream_event" { stats.record(since: readAt) }
        }
    }

    /// A `hook_callback` (already answered): a HOOK event for the running turn, if any.
    private func hookArrived(_ request: JSONValue) {
        let input = request["input"] ?? .null
        let event = input["hook_event_name"]?.stringValue ?? "unknown"
        guard let turn = lock.withLock({ active }) else {
            host.log(.debug, "the \(event) hook of session \(sessionID) arrived while no turn runs; dropped")
            return
        }
        var json: [String: JSONValue] = ["hook_event_name": .string(event), "session_id": .string(sessionID), "input": input]
        // Tool hooks name the tool and the model's id for the call (also beside the input, for older CLIs);
        // the request-level id of other hooks is the CLI's own and means nothing to the host.
        if let tool = input["tool_name"]?.stringValue {
            json["tool_name"] = .string(tool)
            if let toolUseID = input["tool_use_id"]?.stringValue ?? request["tool_use_id"]?.stringValue {
                json["tool_use_id"] = .string(toolUseID)
            }
        }
        turn.assembler.hook(.object(json))
    }

    private func stderr(_ line: String) {
        guard !line.isEmpty else { return }
        lock.withLock {
            stderrTail.append(line)
            if stderrTail.count > 20 { stderrTail.removeFirst() }
        }
        host.log(.info, "claude[\(pid)] stderr: \(line)")
    }

    private func exited(_ status: ExitStatus) {
        let (turn, waiting): (ActiveTurn?, [CheckedContinuation<Bool, Never>]) = lock.withLock {
            exit = status
            defer { pendingControl = [:] }
            return (active, Array(pendingControl.values))
        }
        waiting.forEach { $0.resume(returning: false) }
        host.log(turn == nil ? .info : .warning, "the Claude CLI (pid \(pid)) for session \(sessionID) \(status)\(turn == nil ? "" : " during a turn")")
        guard let turn else { return }
        let partial = turn.assembler.keepPartialDrafts()
        finish(turn.id) { Ending(end: .exited(status), stop: $0.stop, stderr: $1, partialCharacters: partial) }
    }

    private func finish(_ turnID: Int, _ ending: (ActiveTurn, [String]) -> Ending) {
        let done: (CheckedContinuation<Ending, Never>, Ending)? = lock.withLock {
            guard let turn = active, turn.id == turnID else { return nil }
            active = nil
            return (turn.continuation, ending(turn, stderrTail))
        }
        done.map { $0.0.resume(returning: $0.1) }
    }

    /// Sends a control request; true once the CLI answered with success, false
    /// on an error answer, on its exit, or after `timeout`.
    private func controlRequest(_ request: JSONValue, timeout: Duration) async -> Bool {
        let id: String = lock.withLock {
            requestCounter += 1
            return "orch_\(requestCounter)"
        }
        return await withCheckedContinuation { continuation in
            let gone = lock.withLock {
                if exit != nil { return true }
                pendingControl[id] = continuation
                return false
            }
            if gone {
                continuation.resume(returning: false)
                return
            }
            process?.write(CLIInput.controlRequest(id: id, request: request))
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.lock.withLock { self?.pendingControl.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
    }
}
