import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP server that speaks the Anthropic Messages API wire format,
/// scripted per test: point a client at it with `ANTHROPIC_BASE_URL=baseURL`.
/// Each `POST /v1/messages` takes the next queued `Reply`; with the queue empty
/// it echoes the user's last words. See README.md.
public final class AnthropicLoopback: Sendable {
    public let baseURL: String
    public let port: Int
    let script: Script
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(channel: any Channel, group: MultiThreadedEventLoopGroup, script: Script) {
        self.channel = channel
        self.group = group
        self.script = script
        self.port = channel.localAddress?.port ?? 0
        self.baseURL = "http://127.0.0.1:\(port)"
    }

    /// Listens on 127.0.0.1 at a free port.
    public static func start() async throws -> AnthropicLoopback {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let script = Script()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MessagesHandler(script: script))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        return AnthropicLoopback(channel: channel, group: group, script: script)
    }

    public func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// Queues `reply` for the next `times` Messages requests.
    public func enqueue(_ reply: Reply, times: Int = 1) {
        script.enqueue(reply, times: times)
    }

    /// Queues `reply` for the next `times` Messages requests whose system prompt contains
    /// `marker`: several sessions (an orchestrator and its agents) talk to one loopback at
    /// once, each with its own script. Such requests never take from the shared queue.
    public func enqueue(_ reply: Reply, times: Int = 1, forSystemContaining marker: String) {
        script.enqueue(reply, times: times, marker: marker)
    }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { script.recorded }

    /// Only the `POST /v1/messages` requests.
    public var messageRequests: [RecordedRequest] { requests.filter(\.isMessages) }

    /// How many Messages requests are still waiting for their scripted reply.
    public var pendingReplies: Int { script.pending }

    /// When each stamped word ("t<n>") was written to the socket, by n.
    public var emissions: [Int: ContinuousClock.Instant] { script.emissions }
}

/// The shared, lock-protected state behind one loopback.
final class Script: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [(reply: Reply, remaining: Int)] = []
    /// Scripts of their own, by a marker their requests' system prompt contains.
    private var marked: [(marker: String, queue: [(reply: Reply, remaining: Int)])] = []
    private var requests: [RecordedRequest] = []
    private var stamps: [Int: ContinuousClock.Instant] = [:]
    private var stampCounter = 0
    private var replyCounter = 0

    func enqueue(_ reply: Reply, times: Int) {
        lock.withLock { queue.append((reply, max(times, 1))) }
    }

    func enqueue(_ reply: Reply, times: Int, marker: String) {
        lock.withLock {
            if let index = marked.firstIndex(where: { $0.marker == marker }) {
                marked[index].queue.append((reply, max(times, 1)))
            } else {
                marked.append((marker, [(reply, max(times, 1))]))
            }
        }
    }

    var recorded: [RecordedRequest] { lock.withLock { requests } }
    var pending: Int {
        lock.withLock { (queue + marked.flatMap(\.queue)).reduce(0) { $0 + $1.remaining } }
    }
    var emissions: [Int: ContinuousClock.Instant] { lock.withLock { stamps } }

    func record(_ request: RecordedRequest) {
        lock.withLock { requests.append(request) }
    }

    /// The reply for a Messages request and its ordinal (1, 2, …).
    func nextReply(for request: RecordedRequest) -> (Reply, Int) {
        lock.withLock {
            replyCounter += 1
            let system = request.system.joined(separator: "\n")
            if let index = marked.firstIndex(where: { system.contains($0.marker) }) {
                if let reply = Self.take(&marked[index].queue) { return (reply, replyCounter) }
            } else if let reply = Self.take(&queue) {
                return (reply, replyCounter)
            }
            return (.text("Loopback reply #\(replyCounter). You said: \(request.lastUserText ?? "")"), replyCounter)
        }
    }

    private static func take(_ queue: inout [(reply: Reply, remaining: Int)]) -> Reply? {
        guard !queue.isEmpty else { return nil }
        queue[0].remaining -= 1
        let reply = queue[0].reply
        if queue[0].remaining == 0 { queue.removeFirst() }
        return reply
    }

    func nextStamp() -> Int { lock.withLock { stampCounter += 1; return stampCounter } }

    func stamped(_ stamp: Int, at instant: ContinuousClock.Instant) {
        lock.withLock { stamps[stamp] = instant }
    }
}
