import Foundation
import Logging
import PluginAPI
import StoreModel

/// Decisions made once at startup: the working directory and which orchestrator to serve.
public enum Launch {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case workingDirectoryMissing(path: String, source: String)
        case unknownSession(id: String, hint: String)

        public var description: String {
            switch self {
            case .workingDirectoryMissing(let path, let source):
                "working directory \(path) (from \(source)) does not exist or is not a directory; create it or choose another with --cwd"
            case .unknownSession(let id, let hint):
                "no orchestrator has session \(id); \(hint)"
            }
        }
    }

    /// The agent's directory when nothing names one and orch runs inside its own checkout
    /// (`make run`): a directory of its own there, so the agent does not edit Orch itself.
    public static let checkoutWorkspace = "workspace"

    /// `--cwd` > `[host] working_dir` > the process's current directory. Must exist.
    /// The current directory is not used when it is Orch's own checkout: the agent would
    /// work on the code (and the `Makefile`) its operator runs, so `workspace/` there is
    /// used instead, created (0700) if missing. Naming a directory, even ".", overrides this.
    public static func workingDirectory(cli: String?, config: String?, current: String = FileManager.default.currentDirectoryPath) throws(Failure) -> String {
        if cli == nil, config == nil, isOrchCheckout(current) {
            let workspace = URL(fileURLWithPath: current, isDirectory: true).appendingPathComponent(checkoutWorkspace).standardizedFileURL.path
            try? FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            return try workingDirectory(cli: nil, config: workspace, current: current, source: "the default inside Orch's checkout")
        }
        return try workingDirectory(cli: cli, config: config, current: current, source: nil)
    }

    /// Orch's own source tree: its package manifest beside the host's sources.
    public static func isOrchCheckout(_ directory: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: directory + "/Package.swift") && fm.fileExists(atPath: directory + "/Sources/OrchHost")
            && fm.fileExists(atPath: directory + "/Plugins/ClaudeBackend")
    }

    private static func workingDirectory(cli: String?, config: String?, current: String, source named: String?) throws(Failure) -> String {
        var (raw, source) = if let cli { (cli, "--cwd") } else if let config { (config, "[host] working_dir") } else { (current, "the current directory") }
        if let named { source = named }
        let path = URL(fileURLWithPath: raw, relativeTo: URL(fileURLWithPath: current, isDirectory: true)).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .workingDirectoryMissing(path: path, source: source)
        }
        return path
    }

    /// With a session id: the orchestrator that has it, or a refusal naming what exists.
    /// Without: the singleton orchestrator, created on first start and reused after.
    public static func orchestrator(store: StoreAPI, sessionID: String?, workingDir: String) async throws -> (record: OrchestratorRecord, resumed: Bool) {
        guard let sessionID else {
            let (record, created) = try await store.getOrCreateOrchestrator(workingDir: workingDir)
            return (record, !created && record.sessionID != nil)
        }
        do {
            return (try await store.orchestrator(sessionID: sessionID), true)
        } catch let error as PluginError where error.status == .notFound {
            let existing = try? await store.getOrCreateOrchestrator(workingDir: workingDir)
            let hint = existing.flatMap { $0.orchestrator.sessionID }.map { "the current orchestrator's session is \($0)" }
                ?? "start without --session to create a new one"
            throw Failure.unknownSession(id: sessionID, hint: hint)
        }
    }

    /// What `OrchRuntime.start` needs to serve an orchestrator: `--session` and the working directory.
    public struct Plan: Sendable {
        public var sessionID: String?
        public var workingDir: String

        public init(sessionID: String? = nil, workingDir: String) {
            self.sessionID = sessionID
            self.workingDir = workingDir
        }
    }

    /// The turn engine for the plan's orchestrator, on the runtime's store and backend.
    static func engine(_ plan: Plan, config: OrchConfig, store: StoreAPI, backend: BackendClient, bus: EventBus,
                       logger: Logger) async throws -> (engine: TurnEngine, resumed: Bool) {
        let launch = try await orchestrator(store: store, sessionID: plan.sessionID, workingDir: plan.workingDir)
        // Best effort: failing to write markers loses nothing, and refusing to start would. The status
        // stays `executing`, so the next start tries again unless a turn has run (and set it) before.
        var (record, markers) = (launch.record, [ChatMessageRecord]())
        do { (record, markers) = try await CutOffTurns.recover(launch.record, store: store, logger: logger) } catch {
            logger.error("could not mark the turn the previous run cut off: \(PluginError(error).message)")
        }
        for marker in markers {
            bus.publish(Event(kind: .wire, orchestratorID: record.id, turnID: CutOffTurns.turnOf(marker) ?? "", json: WireMessages.chat(marker)))
        }
        let engine = TurnEngine(
            orchestrator: record, store: store, backend: backend, bus: bus, logger: logger,
            settings: .init(workingDir: plan.workingDir, maxMessageBytes: config.host.maxMessageBytes,
                            model: config.backend.options["model"]?.stringValue ?? "default"))
        return (engine, launch.resumed)
    }

    /// The orchestrator's team: loaded, ghosts of a previous run marked `interrupted`, finished
    /// commands reported to the engine.
    static func agents(for engine: TurnEngine, config: OrchConfig, backend: BackendClient, bus: EventBus, logger: Logger) async -> AgentManager {
        let backendOptions = config.agents.backend?.options ?? config.backend.options
        let manager = AgentManager(
            orchestratorID: engine.orchestratorID, store: engine.store, backend: backend, bus: bus, logger: logger,
            settings: .init(config.agents, defaultModel: backendOptions["model"]?.stringValue ?? engine.settings.model,
                            workingDir: engine.settings.workingDir))
        // Best effort, like the cut-off markers: a store that cannot list agents must not keep the orchestrator from starting.
        do { try await manager.recover() } catch {
            logger.error("could not load the orchestrator's agents: \(PluginError(error).message); agents from before this start are not shown until a restart that can")
        }
        manager.onCompletion { [weak engine] row, prompt in engine?.notify(row: row, prompt: prompt) }
        return manager
    }

    /// The permission inbox: what a stopped host left pending expires; an interrupted agent's questions are withdrawn.
    static func permissions(for engine: TurnEngine, agents: AgentManager, config: OrchConfig, bus: EventBus, logger: Logger) async -> PermissionInbox {
        let inbox = PermissionInbox(engine: engine, agents: agents, rules: config.permissions, bus: bus, logger: logger)
        await inbox.expireLeftovers()
        agents.onInterrupt { [weak inbox] agentID in await inbox?.withdraw(agentID: agentID, reason: "the agent was interrupted") }
        return inbox
    }
}
