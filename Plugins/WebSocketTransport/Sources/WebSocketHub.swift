import NIOCore
import PluginAPI
import Synchronization

/// What every WebSocket connection shares: the host, the registry, the limits, the metrics.
final class WebSocketHub: Sendable {
    struct Limits: Sendable {
        var maxFrameBytes: Int
        var maxMessageBytes: Int
        /// How far (in frames and bytes) a client may fall behind before it is dropped.
        var queue: OutboundBudget.Limits
        var heartbeat: Duration
        /// Host requests one client may have outstanding; more are refused, not queued.
        var maxInflight = 16
    }

    let host: HostClient
    let registry: ConnectionRegistry
    let limits: Limits
    let metrics: TransportMetrics
    private let clients = Atomic<Int>(0)

    init(host: HostClient, registry: ConnectionRegistry, limits: Limits, metrics: TransportMetrics) {
        self.host = host
        self.registry = registry
        self.limits = limits
        self.metrics = metrics
    }

    /// Unique for the life of the process (the original's `client_<count>` repeated after disconnects).
    func nextClientID() -> String { "client_\(clients.add(1, ordering: .relaxed).newValue)" }
}
