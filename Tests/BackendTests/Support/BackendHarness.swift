import AnthropicLoopback
import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI

/// One ClaudeBackend instance, loaded from its built library as the host
/// loads it, driving the real Claude Code CLI against a fresh loopback
/// Anthropic API. Every harness has its own working and config directories,
/// so nothing touches ~/.claude.
final class BackendHarness: @unchecked Sendable {
    let loopback: AnthropicLoopback
    let backend: BackendClient
    let requests: HostRequests
    let logs: LogCapture
    let directory: URL
    let workingDirectory: String

    /// `options` are merged over the defaults (loopback env, a private config_dir, no built-in tools, 0 retries).
    /// With `sharing`, it uses that harness's working and config directories (a restarted host).
    static func start(_ options: [String: JSONValue] = [:], env: [String: String] = [:],
                      requests: HostRequests = testRequests(), sharing other: BackendHarness? = nil) async throws -> BackendHarness {
        let loopback = try await AnthropicLoopback.start()
        let directory = try other?.directory ?? Paths.temporaryDirectory()
        let work = directory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        var environment: [String: JSONValue] = [
            "ANTHROPIC_BASE_URL": .string(loopback.baseURL), "ANTHROPIC_API_KEY": .string("test-key"),
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": .string("1"),
        ]
        for (name, value) in env { environment[name] = .string(value) }
        var config: [String: JSONValue] = [
            "model": .string("claude-sonnet-4-5"), "tools": .array([]), "max_retries": .int(0),
            "config_dir": .string(directory.appendingPathComponent("claude-config").path), "env": .object(environment),
        ]
        config.merge(options) { $1 }
        let logs = LogCapture()
        let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: logs.logger)
        let library = try loader.library(Paths.plugin("ClaudeBackend"), relativeTo: "/")
        let backend = try loader.makeBackend(library, .init(label: "ClaudeBackend", config: try JSON.encode(config),
                                                            requests: requests, events: Recorder()))
        return BackendHarness(loopback: loopback, backend: backend, requests: requests, logs: logs,
                              directory: directory, workingDirectory: work.path, ownsDirectory: other == nil)
    }

    private let ownsDirectory: Bool

    private init(loopback: AnthropicLoopback, backend: BackendClient, requests: HostRequests, logs: LogCapture,
                 directory: URL, workingDirectory: String, ownsDirectory: Bool) {
        self.ownsDirectory = ownsDirectory
        self.loopback = loopback
        self.backend = backend
        self.requests = requests
        self.logs = logs
        self.directory = directory
        self.workingDirectory = workingDirectory
    }

    /// The events and the outcome of one turn.
    struct Turn {
        var events: [Event]
        var result: Result<JSONValue, PluginError>

        var value: JSONValue? { try? result.get() }
        var error: PluginError? { if case .failure(let error) = result { error } else { nil } }
        func events(_ kind: EventKind) -> [Event] { events.filter { $0.kind == kind } }
        var deltaText: String { events(.textDelta).map(\.text).joined() }
        /// The accounting a failed turn reports in its last STATUS event.
        var statusResult: JSONValue? { events(.status).last.flatMap { try? json($0.json) }?["result"] }
        var finalTexts: [String] {
            events(.blockFinal).filter { (try? json($0.json))?["kind"] == .string("text") }.map(\.text)
        }
    }

    /// Runs a turn; `recorder` also receives each event as it arrives. `extra` adds fields to
    /// `start_turn` (a session's settings: `system_prompt`, `model`, …).
    func turn(_ message: String, session: String, resume: Bool = false, turnID: String = UUID().uuidString.lowercased(),
              extra: [String: JSONValue] = [:], recorder: Recorder = Recorder()) async -> Turn {
        var body: [String: JSONValue] = [
            "turn_id": .string(turnID), "orchestrator_id": .string("orchestrator-1"), "session_id": .string(session),
            "resume": .bool(resume), "message": .string(message), "working_dir": .string(workingDirectory),
        ]
        body.merge(extra) { $1 }
        let result: Result<JSONValue, PluginError>
        do {
            let reply = try await backend.runTurn(try JSON.encode(body)) { recorder.publish($0, from: "turn") }
            result = .success(try json(reply))
        } catch {
            result = .failure(PluginError(error))
        }
        return Turn(events: recorder.events, result: result)
    }

    func request(_ body: [String: JSONValue]) async throws -> JSONValue {
        try json(try await backend.request(try JSON.encode(body)))
    }

    /// The session's entry in the plugin's `status`.
    func status(of session: String) async throws -> JSONValue? {
        let status = try await request(["op": .string("status")])
        guard case .array(let sessions)? = status["sessions"] else { return nil }
        return sessions.first { $0["session_id"]?.stringValue == session }
    }

    /// The session's CLI process id, or nil when it has none running.
    func pid(of session: String) async throws -> Int32? {
        guard let entry = try await status(of: session), entry["alive"] == .bool(true), let pid = entry["pid"]?.intValue else { return nil }
        return Int32(pid)
    }

    /// The pids the plugin reported starting for the session, in order (from its log).
    func pids(of session: String) -> [Int32] {
        logs.messages.compactMap { line in
            guard line.hasSuffix("for session \(session) in \(workingDirectory)"),
                  let start = line.range(of: "(pid "), let end = line.range(of: ")", range: start.upperBound..<line.endIndex) else { return nil }
            return Int32(line[start.upperBound..<end.lowerBound])
        }
    }

    /// Destroys the plugin instance (ending its CLI processes), as the host does at shutdown.
    func destroyBackend() async {
        await backend.ref.destroy()
    }

    func stop() async {
        await destroyBackend()
        await loopback.shutdown()
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}

func newSession() -> String { UUID().uuidString.lowercased() }

/// Whether a process id still names a live process.
func isRunning(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }
