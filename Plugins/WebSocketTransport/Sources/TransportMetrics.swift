import Prometheus

/// What `/metrics` reports, in Prometheus text. A registry of the plugin's own (no
/// global bootstrap): the host and other plugins may use swift-metrics differently.
final class TransportMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let connections: Gauge
    let connectionsOpened: Counter
    let turns: Counter
    let framesSent: Counter
    let chunksSent: Counter
    let slowClientsDropped: Counter
    let heartbeatTimeouts: Counter
    /// Every accepted socket, HTTP or WebSocket, as counted against `max_connections`.
    let openConnections: Gauge
    let connectionsRefused: Counter
    /// From `deliver` to the frame being handed to every socket of one event loop.
    let fanOutLatency: DurationHistogram

    private static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    init() {
        connections = registry.makeGauge(descriptor: Self.name("ws_connections", "", "WebSocket clients connected now"))
        connectionsOpened = registry.makeCounter(descriptor: Self.name("ws_connections", "total", "WebSocket clients accepted"))
        turns = registry.makeCounter(descriptor: Self.name("turns", "total", "chat messages accepted (send_chat and chat_message)"))
        framesSent = registry.makeCounter(descriptor: Self.name("ws_frames_sent", "total", "host events written to WebSocket clients"))
        chunksSent = registry.makeCounter(descriptor: Self.name("ws_chunks_sent", "total", "chat_stream chunks written to WebSocket clients"))
        slowClientsDropped = registry.makeCounter(descriptor: Self.name("ws_slow_clients_dropped", "total", "clients disconnected for falling behind"))
        heartbeatTimeouts = registry.makeCounter(descriptor: Self.name("ws_heartbeat_timeouts", "total", "clients dropped for not answering pings"))
        openConnections = registry.makeGauge(descriptor: Self.name("connections", "", "sockets open now, HTTP and WebSocket (counted against max_connections)"))
        connectionsRefused = registry.makeCounter(descriptor: Self.name("connections_refused", "total", "sockets refused with 503 for being over max_connections"))
        fanOutLatency = registry.makeDurationHistogram(
            descriptor: Self.name("ws_fanout", "seconds", "time from the host delivering an event to it being written to every client of one event loop"),
            buckets: Self.latencyBuckets)
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "orch", metricName: metric, unitName: unit, helpText: help)
    }

    func error(_ code: String, via channel: String) {
        registry.makeCounter(descriptor: Self.name("errors", "total", "errors answered to clients, by code"),
                             labels: [("code", code), ("via", channel)]).increment()
    }

    /// A connection closed by one of the HTTP timers: `head`, `body` or `idle`.
    func timedOut(_ timer: String) {
        registry.makeCounter(descriptor: Self.name("http_timeouts", "total", "HTTP connections closed by a timeout, by which one"),
                             labels: [("timeout", timer)]).increment()
    }

    func request(route: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.name("http_request_duration", "seconds", "HTTP request latency by route"),
                                       labels: [("route", route), ("status", String(status))], buckets: Self.latencyBuckets).record(duration)
    }

    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
