import Foundation
import Synchronization
import Logging
import PluginAPI

/// The running host: the plugins the config chose, the event bus, and the
/// operations served to transports. Start with `start()`, end with `shutdown()`.
public final class OrchRuntime: @unchecked Sendable {
    public let config: OrchConfig
    public let logger: Logger
    public let bus: EventBus
    public let requests = HostRequests()
    public let loader: PluginLoader
    public private(set) var store: StoreClient?
    public private(set) var backend: BackendClient?
    /// `[agents.backend]`, when the agents run on a backend of their own.
    public private(set) var agentBackend: BackendClient?
    public private(set) var transports: [TransportClient] = []
    public private(set) var listening: [String] = []
    /// The turn engine, when `start` was asked to serve an orchestrator.
    public private(set) var engine: TurnEngine?
    /// The orchestrator's team, served with the engine.
    public private(set) var agents: AgentManager?
    /// The questions its sessions ask before a tool runs (`permission_policy = "ask"`).
    public private(set) var permissions: PermissionInbox?
    /// Whether the served orchestrator continued an existing session.
    public private(set) var resumedSession = false
    private let startedAt = ContinuousClock.now
    /// Set when `shutdown` begins: requests from then on are refused as such, not as a host without an orchestrator.
    let stopped = Mutex(false)

    public init(config: OrchConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        self.bus = EventBus(replayWindow: config.host.replayWindow)
        self.loader = PluginLoader(
            locator: PluginLocator(configured: config.host.pluginDirs, relativeTo: config.baseDirectory), logger: logger)
        registerOperations()
    }

    /// Every instance the runtime created, in creation order.
    public var instances: [PluginInstanceRef] {
        [store?.ref, backend?.ref, agentBackend?.ref].compactMap { $0 } + transports.map(\.ref)
    }

    /// Opens every configured library first, so a missing or incompatible plugin
    /// is reported before any plugin runs; then creates store, backend and
    /// transports, starts the turn engine for `orchestrator` (when given) and
    /// only then the transports. On failure, whatever was created is shut down
    /// again before the error is rethrown.
    public func start(serving orchestrator: Launch.Plan? = nil) async throws {
        DescriptorLimit.raiseSoftToHard(logger: logger)
        var libraries: [PluginLibrary] = []
        for (_, choice) in config.plugins {
            libraries.append(try loader.library(choice.plugin, relativeTo: config.baseDirectory))
        }
        do {
            let relay = PluginEventRelay(bus: bus, logger: logger)
            func context(_ kind: PluginKind, _ index: Int, _ choice: OrchConfig.PluginChoice, _ library: PluginLibrary) -> PluginLoader.Context {
                let label = kind == .transport && config.transports.count > 1 ? "\(library.name)#\(index)" : library.name
                return .init(label: label, config: choice.optionsJSON, requests: requests, events: relay)
            }
            store = try loader.makeStore(libraries[0], context(.store, 0, config.store, libraries[0]))
            backend = try loader.makeBackend(libraries[1], context(.backend, 0, config.backend, libraries[1]))
            if let choice = config.agents.backend, let library = libraries.last {
                agentBackend = try loader.makeBackend(library, context(.backend, 1, choice, library))
            }
            for (index, choice) in config.transports.enumerated() {
                let transport = try loader.makeTransport(libraries[2 + index], context(.transport, index, choice, libraries[2 + index]))
                transports.append(transport)
                bus.attach(transport)
            }
            if let orchestrator, let store, let backend {
                let launched = try await Launch.engine(orchestrator, config: config, store: store.api, backend: backend, bus: bus, logger: logger)
                (engine, resumedSession) = (launched.engine, launched.resumed)
                let team = await Launch.agents(for: launched.engine, config: config, backend: agentBackend ?? backend, bus: bus, logger: logger)
                agents = team
                permissions = await Launch.permissions(for: launched.engine, agents: team, config: config, bus: bus, logger: logger)
                launched.engine.prewarm()
            }
            for transport in transports {
                let reply = try await transport.start()
                let address = (try? JSONDecoder().decode([String: String].self, from: reply))?["listening"] ?? String(decoding: reply, as: UTF8.self)
                listening.append(address)
                logger.info("\(transport.ref.label) listening on \(address)")
            }
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Ends the running turn first, while the transports can still tell their clients
    /// (typing off, the shutdown error, turn complete) and the store writes drain;
    /// then stops transports (newest first) and destroys every instance in reverse
    /// creation order.
    public func shutdown() async {
        stopped.withLock { $0 = true }
        // Nobody will answer now: the questions expire, so no turn waits through the stop.
        if let permissions { await permissions.expireAll(reason: "orch stopped") }
        if let agents { await agents.shutdown(timeout: .seconds(10)) }
        if let engine { await engine.shutdown(timeout: .seconds(10)) }
        for transport in transports.reversed() {
            do { try await transport.stop() } catch { logger.warning("\(transport.ref.label) did not stop cleanly: \(error)") }
        }
        bus.detachAll()
        for instance in instances.reversed() {
            await instance.destroy()
        }
        transports = []
        engine = nil
        agents = nil
        permissions = nil
        agentBackend = nil
        backend = nil
        store = nil
    }

    public var uptimeSeconds: Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
