import Foundation
import PluginAPI

@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(
        name: "ClaudeBackend", version: "1.0.0",
        description: "Claude Code CLI sessions over stream-json, one warm process per active session",
        backend: ClaudeBackend.self))
}

/// The `orch.backend/1` instance: turns go to their session (docs/claude-backend.md).
final class ClaudeBackend: BackendPlugin {
    private let host: GuardedHost
    private let context: SessionContext
    private let sessions: Sessions

    init(host: PluginHost) throws {
        let guarded = GuardedHost(host, name: "ClaudeBackend")
        let config = try BackendConfig(json: host.config, pluginDirectory: Self.libraryDirectory)
        self.host = guarded
        let run = BackendRun(directory: config.configDirectory)
        for line in run.start() { guarded.log(.warning, line) }
        self.context = SessionContext(config: config, host: guarded, stats: LatencyStats(),
                                      cli: CLIPath(configured: config.cliPath, environment: ProcessInfo.processInfo.environment.merging(config.environment) { $1 }),
                                      run: run)
        self.sessions = Sessions(context: context)
    }

    deinit {
        sessions.shutdown(grace: 3)
        context.run.finish()
        host.close()
    }

    func runTurn(_ turn: Request, events: EventSink) async throws -> Data {
        let request = try TurnRequest(turn)
        return try await sessions.session(request.sessionID).run(request, events: events)
    }

    func handle(_ request: Request) async throws -> Data {
        struct SessionArgument: Decodable { var session_id: String }
        switch request.op {
        case "status":
            return try JSON.encode([
                "cli_path": context.cli.known.map { .string($0) } ?? JSONValue.null,
                "sessions": .array(sessions.all.map(\.status)),
                "latency": ["read_to_event": context.stats.json],
            ] as [String: JSONValue])
        case "interrupt":
            let id = try request.decode(SessionArgument.self).session_id
            let interrupted = await sessions.existing(id)?.interrupt() ?? false
            return try JSON.encode(["interrupted": interrupted])
        case "prewarm":
            struct PrewarmArguments: Decodable { var session_id: String; var working_dir: String; var resume: Bool? }
            let arguments = try request.decode(PrewarmArguments.self)
            let settings = try SessionSettings(request)
            guard context.config.prewarm else { return try JSON.encode(["prewarmed": false]) }
            let pid = try await sessions.session(arguments.session_id).prewarm(directory: arguments.working_dir, resume: arguments.resume ?? false,
                                                                                 settings: settings)
            return try JSON.encode(["prewarmed": JSONValue.bool(true), "pid": .int(Int64(pid))])
        case "close_session":
            let id = try request.decode(SessionArgument.self).session_id
            guard let session = sessions.existing(id) else { return try JSON.encode(["closed": false]) }
            try await session.close()
            return try JSON.encode(["closed": true])
        case "stop_session":
            struct StopArguments: Decodable { var session_id: String; var grace_ms: Int? }
            let arguments = try request.decode(StopArguments.self)
            let grace = arguments.grace_ms ?? 2000
            guard (0...600_000).contains(grace) else {
                throw PluginError.invalid("invalid_request", "stop_session: field \"grace_ms\" must be between 0 and 600000; got \(grace)")
            }
            guard let outcome = await sessions.existing(arguments.session_id)?.stop(grace: .milliseconds(grace)) else {
                return try JSON.encode(["stopped": JSONValue.bool(false), "escalation": "none"])
            }
            let exit: JSONValue = switch outcome.status {
            case .exited(let code): ["code": .int(Int64(code))]
            case .signaled(let signal): ["signal": .int(Int64(signal))]
            case .unknown: [:]
            }
            return try JSON.encode(["stopped": JSONValue.bool(true), "pid": .int(Int64(outcome.pid)),
                                    "escalation": .string(outcome.escalation.rawValue), "exit": exit])
        default:
            throw PluginError.unsupported("ClaudeBackend has no op \"\(request.op)\"; it serves status, interrupt, prewarm, close_session, stop_session")
        }
    }

    /// The directory this library was loaded from: the default prompt is looked for above it.
    private static var libraryDirectory: String? {
        let entry: @convention(c) (UInt32, UInt32) -> UnsafeRawPointer? = orchPluginEntry
        return GlibcExtras.libraryPath(containing: unsafeBitCast(entry, to: UnsafeRawPointer.self)).map {
            URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().path
        }
    }
}
