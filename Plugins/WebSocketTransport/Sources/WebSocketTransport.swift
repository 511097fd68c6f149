import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PluginAPI
import PluginLogging
import NIOSSL
import ServiceLifecycle

/// The transport plugin: one Hummingbird server on its own event loops, serving the
/// HTTP API, the static UI and `/ws`. All work goes to the host through `host->request`;
/// host events arrive through `deliver` and are forwarded to every WebSocket unchanged.
final class WebSocketTransport: TransportPlugin {
    static let version = "1.0.0"

    let host: GuardedHost
    let options: TransportOptions
    private let group: MultiThreadedEventLoopGroup
    private let registry: ConnectionRegistry
    private let metrics = TransportMetrics()
    private let files: StaticFiles
    private let tls: NIOSSLContext?
    private let logger: Logger
    /// Whether `stop` shut the event loops down already (a second shutdown is an error in NIO).
    private let stopped = NIOLockedValueBox(false)
    private let running = NIOLockedValueBox<(services: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    init(host: PluginHost) throws {
        let guarded = GuardedHost(host, name: "WebSocketTransport")
        self.host = guarded
        options = try TransportOptions(json: host.config)
        tls = try options.tls?.makeContext()
        logger = Logger(label: "WebSocketTransport") { _ in HostLogHandler(host: guarded) }
        // Walking static_dir here, where blocking is allowed, keeps requests off the disk.
        files = StaticFiles(root: options.staticDir)
        if files.isEmpty { host.log(.warning, "static_dir \(files.root) has no files; the UI will answer 404 until the frontend is built") }
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(System.coreCount, 4)))
        registry = ConnectionRegistry(group: group)
    }

    /// Not a sync shutdown: the last reference may go away on one of the group's own threads.
    deinit {
        host.close()
        if !stopped.withLockedValue({ $0 }) { group.shutdownGracefully { _ in } }
    }

    func start() async throws -> String {
        let policy = SecurityPolicy(options: options)
        let hostClient = HostClient(host: host)
        let maxMessageBytes = try await messageLimit(hostClient)
        let hub = WebSocketHub(
            host: hostClient, registry: registry,
            limits: .init(maxFrameBytes: options.maxFrameBytes, maxMessageBytes: maxMessageBytes,
                          queue: .init(frames: options.clientQueueLimit, bytes: options.clientQueueBytes), heartbeat: options.heartbeat),
            metrics: metrics)
        let api = HTTPAPI(host: hostClient, options: options, policy: policy, files: files, metrics: metrics,
                          registry: registry, version: Self.version, maxMessageBytes: maxMessageBytes)
        let cap = ConnectionCap(limit: options.maxConnections), tls = tls
        let timeouts = RequestDeadlines.Limits(head: options.headTimeout, body: options.bodyTimeout, idle: options.idleTimeout)
        host.log(.info, "accepting up to \(cap.limit) connections (max_connections)")
        if let files = options.tls { host.log(.info, "serving HTTPS and WSS with tls_cert \(files.certificate)") }
        let server = HTTPServerBuilder { responder in
            ServerChannel(responder: responder, hub: hub, refuseUpgrade: { head, address in
                let credentials = Credentials(head)
                // The Host check comes first, as for every other request: a rebound name learns nothing about /ws.
                do throws(APIError) { try policy.checkHost(credentials) } catch { return error }
                guard head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) == HTTPAPI.webSocketPath else {
                    return APIError(.notFound, "not_found", "WebSockets are served at /ws only")
                }
                // RFC 6455 opens a WebSocket with GET; anything else is refused, as the router refuses it without an upgrade.
                guard head.method == .GET else {
                    return APIError(.methodNotAllowed, "method_not_allowed", "\(HTTPAPI.webSocketPath) accepts GET, not \(head.method.rawValue)")
                }
                return policy.refusal(credentials, from: address)
            }, timeouts: timeouts, cap: cap, tls: tls)
        }
        let (bound, boundContinuation) = AsyncStream.makeStream(of: String.self)
        let listen = options.listen
        let app = Application(
            router: api.makeRouter(), server: server,
            configuration: .init(address: .hostname(options.listen.host, port: options.listen.port)),
            onServerRunning: { channel in
                boundContinuation.yield(channel.localAddress.map(Self.describe) ?? "\(listen)")
                boundContinuation.finish()
            },
            eventLoopGroupProvider: .shared(group), logger: logger)
        // The host owns signals: the service group handles none; `stop` shuts it down gracefully.
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { boundContinuation.finish() }
            try await services.run()
        }
        running.withLockedValue { $0 = (services, task) }
        for await address in bound {
            registry.startHeartbeats(every: options.heartbeat)
            host.log(.notice, "console: \(Self.consoleURL(bound: address, auth: options.auth, tls: options.tls != nil))")
            return address
        }
        // The server ended before it was listening: report why.
        do { try await task.value } catch { throw PluginError.unavailable("listen_failed", "cannot listen on \(options.listen): \(error)") }
        throw PluginError.unavailable("listen_failed", "cannot listen on \(options.listen)")
    }

    /// The host owns the message limit (`[host] max_message_bytes`, in its `get_orchestrator` reply);
    /// the transport applies it too, so an over-long message is refused before the host is asked.
    private func messageLimit(_ host: HostClient) async throws(PluginError) -> Int {
        let reply: [String: JSONValue]
        do { reply = try await host.call("get_orchestrator") } catch {
            throw .unavailable("host_limit_unknown", "cannot start: the host's get_orchestrator failed (\(error.code): \(error.message)), and it says max_message_bytes")
        }
        guard case .int(let limit)? = reply["max_message_bytes"], limit > 0, limit <= Int64(Int32.max) else {
            throw .unavailable("host_limit_unknown", "cannot start: the host's get_orchestrator reply has no positive integer max_message_bytes")
        }
        try options.checkRoom(forMessagesUpTo: Int(limit))
        return Int(limit)
    }

    func stop() async {
        if let (services, task) = running.withLockedValue({ $0 }) {
            await registry.closeAll(reason: "server shutting down; reconnect and resume", timeout: .seconds(3))
            await services.triggerGracefulShutdown()
            _ = try? await task.value
            running.withLockedValue { $0 = nil }
            try? await group.shutdownGracefully()
            stopped.withLockedValue { $0 = true }
        }
        // After stop the host may destroy us at any moment; nothing may reach its table now.
        host.close()
    }

    func deliver(_ event: EventView) {
        registry.broadcast(OutboundEvent(event), metrics: metrics)
    }

    /// The URL that opens the console: with the token in the fragment, which the browser
    /// never sends (no server log, no `Referer` holds it); `/login.js` trades it for the cookie.
    static func consoleURL(bound address: String, auth: AuthSetting, tls: Bool = false) -> String {
        let scheme = tls ? "https" : "http"
        var authority = address
        if authority.hasPrefix("0.0.0.0:") { authority = "127.0.0.1" + authority.dropFirst("0.0.0.0".count) }
        if authority.hasPrefix("[::]:") { authority = "[::1]" + authority.dropFirst("[::]".count) }
        guard let token = auth.token else { return "\(scheme)://\(authority)/" }
        let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_.~"))) ?? token
        var url = "\(scheme)://\(authority)/login#token=\(encoded)"
        if case .token(_, .file(let path, let created)) = auth { url += created ? "  (token created in \(path))" : "  (token from \(path))" }
        return url
    }

    private static func describe(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        return ip.contains(":") ? "[\(ip)]:\(address.port ?? 0)" : "\(ip):\(address.port ?? 0)"
    }
}

@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(
        name: "WebSocketTransport", version: WebSocketTransport.version,
        description: "HTTP API, WebSocket streaming with resume, and the static UI", transport: WebSocketTransport.self))
}
