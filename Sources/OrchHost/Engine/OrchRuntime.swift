import Foundation
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
    public private(set) var transports: [TransportClient] = []
    public private(set) var listening: [String] = []
    /// The turn engine, once `start`'s `prepare` step has created it.
    public var engine: TurnEngine?
    private let startedAt = ContinuousClock.now

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
        [store?.ref, backend?.ref].compactMap { $0 } + transports.map(\.ref)
    }

    /// Opens every configured library first, so a missing or incompatible plugin
    /// is reported before any plugin runs; then creates store, backend and
    /// transports, and starts the transports. On failure, whatever was created
    /// is shut down again before the error is rethrown. `prepare` runs after
    /// the plugins exist and before any transport listens (the engine starts there).
    public func start(prepare: (OrchRuntime) async throws -> Void = { _ in }) async throws {
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
            for (index, choice) in config.transports.enumerated() {
                let transport = try loader.makeTransport(libraries[2 + index], context(.transport, index, choice, libraries[2 + index]))
                transports.append(transport)
                bus.attach(transport)
            }
            try await prepare(self)
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

    /// Stops transports (newest first), then destroys every instance in reverse creation order.
    public func shutdown() async {
        for transport in transports.reversed() {
            do { try await transport.stop() } catch { logger.warning("\(transport.ref.label) did not stop cleanly: \(error)") }
        }
        if let engine { await engine.shutdown(timeout: .seconds(10)) }
        bus.detachAll()
        for instance in instances.reversed() {
            await instance.destroy()
        }
        transports = []
        engine = nil
        backend = nil
        store = nil
    }

    public var uptimeSeconds: Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func registerOperations() {
        requests.register("ping") { _, _ in try JSON.encode(["pong": JSONValue.bool(true), "host_version": .string(hostVersion)]) }
        requests.register("health") { [weak self] _, _ in
            guard let self else { throw PluginError.unavailable("shutting_down", "the host is shutting down") }
            let plugins: [JSONValue] = instances.map {
                .object(["name": .string($0.library.name), "kind": .string($0.kind.rawValue), "version": .string($0.library.version)])
            }
            return try JSON.encode([
                "status": JSONValue.string("ok"), "host_version": .string(hostVersion),
                "uptime_s": .double(uptimeSeconds), "plugins": .array(plugins),
            ])
        }
    }
}
