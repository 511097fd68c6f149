import NIOCore
import NIOHTTP1

/// The three clocks of an HTTP connection, so a client cannot hold a socket (and a
/// descriptor) by sending nothing, or sending slowly:
///
/// * `head_timeout_s`: a request head must be complete this long after the connection
///   was accepted, or after the first byte of a later request on it;
/// * `body_timeout_s`: the whole body must have arrived this long after its head. A total
///   rather than a minimum rate: bodies are at most `max_body_bytes`, so a total bounds
///   exactly how long one request can hold the connection, where a rate lets a trickle
///   just above it hold on for `max_body_bytes / rate`;
/// * `idle_timeout_s`: a keep-alive connection may wait this long for its next request.
///
/// A head or body timeout is answered 408 `request_timeout` (naming the timeout) unless a
/// response to that request has begun; an idle timeout closes silently: there is no
/// request to answer, and a 408 could race a client's next request on the reused socket.
/// While the server works on a request no clock runs (the host has its own timeouts).
/// Once the connection becomes a WebSocket the handler removes itself: the heartbeat
/// governs from then on.
///
/// It sits right after NIO's request decoder, seeing parsed parts in and response parts
/// out; `ByteArrivals`, at the front of the pipeline, tells it when the first byte of the
/// next request arrives, which parsed parts cannot.
final class RequestDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Limits: Sendable {
        var head: Duration
        var body: Duration
        var idle: Duration
    }

    enum Timer: String {
        case head, body, idle
    }

    private enum Phase {
        /// Between requests, nothing of the next one received.
        case idle
        /// Waiting for (the rest of) a request head.
        case head
        /// The head is read, the body's end is not.
        case body
        /// The request is read: the server's turn, no clock runs.
        case responding
    }

    private let limits: Limits
    private let timedOut: @Sendable (Timer) -> Void
    private var phase = Phase.head
    private var timer: Scheduled<Void>?
    /// Requests whose head was read and whose response has not ended.
    private var unanswered = 0
    /// Whether the current request's response has begun (then a timeout cannot answer it).
    private var responseStarted = false
    /// Bytes arrived since the last request's end (a pipelined request under way).
    private var bytesSinceRequestEnd = false
    private var finished = false
    private var upgraded = false
    /// An approved upgrade: what arrives may be raw bytes (see `upgradeApproved`).
    private var passingThrough = false
    private var context: ChannelHandlerContext?
    fileprivate let arrivals = ByteArrivals()

    init(limits: Limits, timedOut: @escaping @Sendable (Timer) -> Void) {
        self.limits = limits
        self.timedOut = timedOut
        arrivals.deadlines = self
    }

    /// Adds the handler after the HTTP decoder, and its byte probe at the front of the pipeline.
    static func install(on channel: any Channel, limits: Limits, timedOut: @escaping @Sendable (Timer) -> Void) throws {
        let deadlines = RequestDeadlines(limits: limits, timedOut: timedOut)
        let pipeline = channel.pipeline.syncOperations
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try pipeline.addHandler(deadlines.arrivals, position: .first)
        try pipeline.addHandler(deadlines, position: .after(decoder))
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm(.head, context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(.head, context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    // MARK: Requests in, responses out

    fileprivate func bytesArrived() {
        bytesSinceRequestEnd = true
        if phase == .idle, let context { arm(.head, context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !passingThrough else { return context.fireChannelRead(data) }
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            responseStarted = false
            arm(.body, context)
        case .body:
            break
        case .end:
            bytesSinceRequestEnd = false
            phase = .responding
            cancelTimer()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status == .switchingProtocols:
            // A WebSocket from here on: its heartbeat decides, not these clocks. The handler
            // leaves in `flush`, which NIO calls right after this write on the same context.
            stop()
            upgraded = true
        case .head:
            responseStarted = true
        case .body:
            break
        case .end:
            unanswered = max(0, unanswered - 1)
            if unanswered == 0, phase == .responding {
                arm(bytesSinceRequestEnd ? .head : .idle, context)
            }
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        guard upgraded else { return }
        context.pipeline.syncOperations.removeHandler(arrivals, promise: nil)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// For an upgrade that will go ahead. NIO removes the HTTP decoder before it writes the
    /// 101, and the decoder hands the frames a client sent right behind its handshake on as
    /// raw bytes, through this handler: read as HTTP parts they brought the process down.
    /// From here on they pass untouched; the clocks run on until the 101 (a request that
    /// never ends still times out), then the handler leaves.
    static func upgradeApproved(on channel: any Channel) {
        (try? channel.pipeline.syncOperations.handler(type: RequestDeadlines.self))?.passingThrough = true
    }

    // MARK: Clocks

    private func arm(_ next: Phase, _ context: ChannelHandlerContext) {
        guard !finished else { return }
        cancelTimer()
        phase = next
        let (limit, which): (Duration, Timer)
        switch next {
        case .idle: (limit, which) = (limits.idle, .idle)
        case .head: (limit, which) = (limits.head, .head)
        case .body: (limit, which) = (limits.body, .body)
        case .responding: return
        }
        let loop = context.eventLoop.assumeIsolated()
        timer = loop.scheduleTask(in: TimeAmount(limit)) { [self] in expire(which, context) }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func stop() {
        finished = true
        cancelTimer()
    }

    private func expire(_ which: Timer, _ context: ChannelHandlerContext) {
        timer = nil
        guard !finished, context.channel.isActive else { return }
        finished = true
        timedOut(which)
        let message: String
        switch which {
        case .idle:
            context.close(promise: nil)
            return
        case .head:
            message = "no complete request head within head_timeout_s (\(limits.head.secondsText)); the connection is closed"
        case .body:
            message = "the request body did not arrive within body_timeout_s (\(limits.body.secondsText)) of its head; the connection is closed"
        }
        if which == .body && responseStarted {
            // The answer is already on its way (a route that did not need the body); just stop.
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        EarlyResponse(error: APIError(.requestTimeout, "request_timeout", message)).write(context).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// Tells `RequestDeadlines` that bytes came in, before the decoder has made anything of them.
final class ByteArrivals: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    fileprivate weak var deadlines: RequestDeadlines?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines?.bytesArrived()
        context.fireChannelRead(data)
    }
}

extension Duration {
    /// "10 s", "0.5 s": how the options are written.
    var secondsText: String {
        let (seconds, attoseconds) = components
        let fraction = Double(attoseconds) / 1e18
        return fraction == 0 ? "\(seconds) s" : "\(Double(seconds) + fraction) s"
    }
}
