import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// How many sockets (HTTP and WebSocket alike) the transport keeps open at once.
/// Every accepted socket costs a descriptor; past the process's limit `accept` fails
/// for everyone, the store and the backend's child processes included. Refusing the
/// surplus early, with a 503 that says why, keeps the rest of the process working.
final class ConnectionCap: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var count: Int { open.load(ordering: .relaxed) }

    /// Counts a new socket; false when it would go over the limit (and it is not counted).
    func admit() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        if now <= limit { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    func release() { open.subtract(1, ordering: .relaxed) }

    /// Descriptors kept for everything else in the process: the store's files and
    /// connections, the backend's pipes and child processes, logs, the plugins' own.
    static let reservedDescriptors = 64
    /// Beyond this many, memory (about 7.5 KiB per idle socket plus kernel buffers) is the
    /// limit rather than descriptors; a deployment that wants more says so.
    static let defaultCeiling = 16384

    /// `max_connections` when unset: the soft descriptor limit less `reservedDescriptors`,
    /// at most `defaultCeiling`, at least 1. The host raises the soft limit to the hard
    /// one before plugins start, so this is read afterwards.
    static func defaultLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 - reservedDescriptors }
        // RLIM_INFINITY is all ones; clamping makes it Int.max.
        return max(1, min(Int(clamping: limit.rlim_cur) - reservedDescriptors, defaultCeiling))
    }
}

/// A socket over `max_connections`: answered at once with 503 `too_many_connections`
/// and `Retry-After`, without reading its request. Its output is shut after the answer
/// and what it sends is discarded until it closes (or `linger` passes): closing with its
/// request unread would reset the connection and could destroy the answer in flight.
final class RefuseConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = HTTPServerResponsePart

    static let retryAfterSeconds = 5
    static let linger = TimeAmount.seconds(1)

    private let limit: Int
    private var answered = false

    init(limit: Int) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let error = APIError(.serviceUnavailable, "too_many_connections",
                             "the server has \(limit) connections open (max_connections); retry in \(Self.retryAfterSeconds) s")
        let response = EarlyResponse(error: error, extraHeaders: [("Retry-After", String(Self.retryAfterSeconds))])
        let channel = context.channel
        response.write(context).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        }
    }
}
