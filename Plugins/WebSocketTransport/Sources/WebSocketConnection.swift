import NIOCore
import NIOWebSocket
import PluginAPI

/// One WebSocket client, on its channel's event loop (all state is loop-confined).
///
/// Every frame is written straight to the socket, through `emit`; the channel's write
/// buffer is the client's queue. While the socket cannot take more (the client reads
/// slower than we write), every further frame of any kind counts against the client's
/// `OutboundBudget`; past it the client is closed with a reason (and its queued frames
/// freed) and can reconnect and `resume`. The others never wait for it.
final class WebSocketConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame

    /// Application close codes (4000-4999 are reserved for applications by RFC 6455).
    static let heartbeatTimeout = WebSocketErrorCode(codeNumber: 4000)
    static let tooSlow = WebSocketErrorCode(codeNumber: 4001)

    let hub: WebSocketHub
    let clientID: String
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    /// Where encoded frames are written: the context of NIO's frame encoder, so a
    /// write starts below it and reaches the socket as is (see `ServerFrame`).
    private var socket: ChannelHandlerContext?
    private var loop: LoopConnections?
    private var lastHeard = NIODeadline.now()
    /// A fragmented message being reassembled.
    private var partial: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var closing = false
    /// Frames waiting for this client beyond what its socket takes.
    private var budget: OutboundBudget
    private var inflight = 0
    /// Per orchestrator, the seqs this connection has written (a contiguous run).
    private var delivered: [String: ClosedRange<UInt64>] = [:]
    /// Live events held back while a `resume` for that orchestrator is answered.
    private var held: [String: [OutboundEvent]] = [:]

    init(hub: WebSocketHub, eventLoop: any EventLoop) {
        self.hub = hub
        self.eventLoop = eventLoop
        self.clientID = hub.nextClientID()
        budget = OutboundBudget(hub.limits.queue)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        socket = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        guard let loop = hub.registry.current() else {
            context.close(promise: nil)
            return
        }
        self.loop = loop
        _ = hub.registry.add(self, to: loop)
        hub.metrics.connections.increment()
        hub.metrics.connectionsOpened.increment()
        writeLocal(LocalFrame.connectionEstablished(clientID: clientID, heartbeat: hub.limits.heartbeat, maxFrameBytes: hub.limits.maxFrameBytes))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        unregister()
        self.context = nil
        socket = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister()
        context.fireChannelInactive()
    }

    /// The server's sockets allow half-closure (for HTTP), so a client that goes away without a
    /// close frame shows up as its input closing, not as the channel closing: it would stay
    /// connected, and counted, until the heartbeat noticed. It can send nothing more, not even
    /// a pong, so it is closed now.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            unregister()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { budget.drained() }
        context.fireChannelWritabilityChanged()
    }

    private func unregister() {
        guard let loop else { return }
        self.loop = nil
        hub.registry.remove(self, from: loop)
        hub.metrics.connections.decrement()
    }

    // MARK: Host events

    /// Writes one host event unless this client already has it or is resuming; returns whether it was written.
    func send(_ event: OutboundEvent) -> Bool {
        guard !closing, context != nil else { return false }
        if !held.isEmpty, held[event.orchestratorID] != nil {
            held[event.orchestratorID]!.append(event)
            budget.held(event.frame.readableBytes)
            if budget.isExceeded { dropTooSlow() }
            return false
        }
        return write(event)
    }

    private func write(_ event: OutboundEvent, record shouldRecord: Bool = true) -> Bool {
        guard context != nil, !closing else { return false }
        if shouldRecord, let run = delivered[event.orchestratorID], run.contains(event.seq) { return false }
        emit(event.frame)
        if shouldRecord { record(event.seq, of: event.orchestratorID) }
        return true
    }

    private func record(_ seq: UInt64, of orchestratorID: String) {
        guard seq > 0 else { return }
        if let run = delivered[orchestratorID] {
            // Live events only move forward; a resume extends the run backwards itself.
            delivered[orchestratorID] = run.lowerBound...max(run.upperBound, seq)
        } else {
            delivered[orchestratorID] = seq...seq
        }
    }

    /// The close frame queues behind everything the client has not read, so a client that
    /// stopped reading never sees it: the log says why, and closing the socket after the
    /// grace frees what was queued.
    private func dropTooSlow() {
        guard !closing else { return }
        hub.metrics.slowClientsDropped.increment()
        hub.host.host.log(.warning, "\(clientID) fell too far behind; closing it with \(UInt16(webSocketErrorCode: Self.tooSlow)): \(budget.reason)")
        close(code: Self.tooSlow, reason: budget.reason, after: .seconds(2)).whenComplete { _ in FreedMemory.release() }
    }

    func heartbeat(now: NIODeadline) {
        guard context != nil, !closing else { return }
        let interval = TimeAmount(hub.limits.heartbeat)
        if now - lastHeard > interval * 2 {
            hub.metrics.heartbeatTimeouts.increment()
            close(code: Self.heartbeatTimeout, reason: "no reply to pings for \(interval.nanoseconds * 2 / 1_000_000_000)s; reconnect and resume",
                  after: .milliseconds(500))
            return
        }
        emit(ServerFrame.encode(ServerFrame.ping, []))
    }

    /// The one way out for every frame, so every frame counts against the budget.
    /// No promise unless the caller needs to know: a broadcast must not allocate one per client.
    private func emit(_ frame: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        guard let socket else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        socket.writeAndFlush(NIOAny(frame), promise: promise)
        // Once closing, only the close frame is written, and the socket closes on a timer.
        guard !closing, !socket.channel.isWritable else { return }
        budget.queued(frame.readableBytes)
        if budget.isExceeded { dropTooSlow() }
    }

    /// Writes a close frame, then closes the socket once it is out.
    private func emitCloseThenDisconnect(_ frame: ByteBuffer, channel: any Channel) {
        let written = eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        emit(frame, promise: written)
    }

    // MARK: Closing

    /// Starts the closing handshake; the socket is closed when the client answers, or after `after` at the latest.
    @discardableResult
    func close(code: WebSocketErrorCode, reason: String, after grace: TimeAmount = .seconds(1)) -> EventLoopFuture<Void> {
        guard let context else { return eventLoop.makeSucceededVoidFuture() }
        let channel = context.channel
        if !closing {
            closing = true
            unregister()
            emit(Self.closeFrame(code, reason))
            context.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        }
        return channel.closeFuture
    }

    /// For a broken protocol: say why, then close as soon as that is written.
    private func fail(_ code: WebSocketErrorCode, _ reason: String) {
        guard let context, !closing else { return }
        closing = true
        unregister()
        hub.metrics.error("protocol_error", via: "ws")
        let channel = context.channel
        emitCloseThenDisconnect(Self.closeFrame(code, reason), channel: channel)
    }

    private static func closeFrame(_ code: WebSocketErrorCode, _ reason: String) -> ByteBuffer {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: code)
        // A control frame carries at most 125 bytes: 2 for the code, 123 for the reason.
        data.writeString(String(decoding: reason.utf8.prefix(123), as: UTF8.self))
        return ServerFrame.encode(ServerFrame.close, data)
    }

    // MARK: Client frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastHeard = .now()
        guard !(frame.rsv1 || frame.rsv2 || frame.rsv3) else {
            return fail(.protocolError, "reserved bits are set, but no extension was negotiated")
        }
        guard frame.maskKey != nil else { return fail(.protocolError, "client frames must be masked (RFC 6455, section 5.3)") }
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame, context: context)
        case .ping:
            guard !closing else { return }
            emit(ServerFrame.encode(ServerFrame.pong, frame.unmaskedData))
        case .pong:
            break
        case .text, .binary:
            guard partial == nil else { return fail(.protocolError, "a new message started before the fragmented message before it ended") }
            if frame.fin {
                received(frame.opcode, frame.unmaskedData)
            } else {
                partial = (frame.opcode, frame.unmaskedData)
            }
        case .continuation:
            guard var message = partial else { return fail(.protocolError, "a continuation frame arrived with no fragmented message to continue") }
            var data = frame.unmaskedData
            guard message.data.readableBytes + data.readableBytes <= hub.limits.maxFrameBytes else {
                return fail(.messageTooLarge, "message exceeds max_frame_bytes (\(hub.limits.maxFrameBytes) bytes)")
            }
            message.data.writeBuffer(&data)
            partial = frame.fin ? nil : message
            if frame.fin { received(message.opcode, message.data) }
        default:
            fail(.protocolError, "unknown opcode \(frame.opcode)")
        }
    }

    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        let channel = context.channel
        if closing {
            channel.close(promise: nil)
            return
        }
        closing = true
        unregister()
        // Echo the client's code, as RFC 6455 asks; a malformed close or a code no client may send gets a protocol error.
        var data = frame.unmaskedData
        let answer: (code: WebSocketErrorCode, reason: String)
        switch data.readableBytes {
        case 0:
            answer = (.normalClosure, "")
        case 1:
            answer = (.protocolError, "a close frame carries nothing or a 2-byte code first")
        default:
            let number = data.readInteger(as: UInt16.self)!
            answer = CloseCode.isSendable(number)
                ? (WebSocketErrorCode(codeNumber: Int(number)), "")
                : (.protocolError, "close code \(number) may not be sent by an endpoint (RFC 6455, section 7.4)")
        }
        if answer.code == .protocolError { hub.metrics.error("protocol_error", via: "ws") }
        emitCloseThenDisconnect(Self.closeFrame(answer.code, answer.reason), channel: channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            fail(.messageTooLarge, "frame exceeds max_frame_bytes (\(hub.limits.maxFrameBytes) bytes)")
        case NIOWebSocketError.fragmentedControlFrame:
            fail(.protocolError, "control frames may not be fragmented")
        case NIOWebSocketError.multiByteControlFrameLength:
            fail(.protocolError, "control frames may carry at most 125 bytes")
        default:
            // The socket itself failed (reset, broken pipe): nothing can be said to the client.
            context.close(promise: nil)
        }
    }

    /// A complete message from the client.
    private func received(_ opcode: WebSocketOpcode, _ data: ByteBuffer) {
        guard !closing else { return }
        guard opcode == .text else {
            return reply(.badRequest("binary_not_supported", "binary frames are not supported; send JSON as text frames"), to: nil)
        }
        let bytes = data.readableBytesView
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return reply(.badRequest("invalid_utf8", "the text frame is not valid UTF-8"), to: nil)
        }
        let request: ClientRequest
        do { request = try ClientRequest(text: bytes, maxMessageBytes: hub.limits.maxMessageBytes) } catch {
            return reply(error.error, to: error.header)
        }
        switch request.kind {
        case .ping:
            writeLocal(LocalFrame.pong(request.header))
        case .call(let call):
            ask(call, request.header, then: .acknowledge)
        case .resume(let orchestratorID, let lastSeq, let call):
            guard held[orchestratorID] == nil else {
                return reply(APIError(.conflict, "resume_in_progress", "a resume of this orchestrator is already running on this connection"), to: request.header)
            }
            held[orchestratorID] = []
            if !ask(call, request.header, then: .resume(orchestratorID: orchestratorID, lastSeq: lastSeq)) {
                releaseHeld(orchestratorID)
            }
        }
    }

    // MARK: Host requests

    private enum FollowUp: Sendable {
        case acknowledge
        case resume(orchestratorID: String, lastSeq: UInt64)
    }

    /// Issues a host request from the event loop, so one client's frames reach the host in
    /// the order it sent them, and comes back to the loop with the reply.
    @discardableResult
    private func ask(_ call: HostCall, _ header: ClientRequest.Header, then followUp: FollowUp) -> Bool {
        guard let context else { return false }
        guard inflight < hub.limits.maxInflight else {
            reply(APIError(.tooManyRequests, "too_many_requests",
                           "\(hub.limits.maxInflight) requests are already running for this connection; wait for their replies"), to: header)
            return false
        }
        inflight += 1
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        hub.host.start(call) { result in
            eventLoop.execute { bound.value.answered(call, header, followUp, result) }
        }
        return true
    }

    private func answered(_ call: HostCall, _ header: ClientRequest.Header, _ followUp: FollowUp, _ result: Result<[String: JSONValue], APIError>) {
        inflight -= 1
        switch (followUp, result) {
        case (.acknowledge, .success(let reply)):
            if call.op == "send_chat" { hub.metrics.turns.increment() }
            writeLocal(LocalFrame.ack(header, reply))
        case (.resume(let orchestratorID, let lastSeq), .success(let reply)):
            resumed(orchestratorID, after: lastSeq, reply, header)
        case (.acknowledge, .failure(let error)):
            reply(error, to: header)
        case (.resume(let orchestratorID, _), .failure(let error)):
            reply(error, to: header)
            releaseHeld(orchestratorID)
        }
    }

    /// Writes the events the client missed, in order and each once, then the live events held meanwhile.
    private func resumed(_ orchestratorID: String, after lastSeq: UInt64, _ reply: [String: JSONValue], _ header: ClientRequest.Header) {
        if reply["status"]?.stringValue == "reload" {
            let hostLast = UInt64(max(0, reply["last_seq"]?.intValue ?? 0))
            writeLocal(LocalFrame.reloadRequired(orchestratorID: orchestratorID, lastSeq: hostLast, header))
            releaseHeld(orchestratorID)
            return
        }
        var missed: [(seq: UInt64, json: JSONValue)] = []
        if case .array(let events)? = reply["events"] {
            for event in events {
                if let seq = event["seq"]?.intValue, seq > 0, UInt64(seq) > lastSeq { missed.append((UInt64(seq), event)) }
            }
        }
        missed.sort { $0.seq < $1.seq }
        // Events this connection already got live are skipped; the rest are written in order,
        // after which the delivered run reaches back to the client's last seq.
        let run = delivered[orchestratorID]
        let replay = missed.filter { !(run?.contains($0.seq) ?? false) }
            .map { OutboundEvent(orchestratorID: orchestratorID, seq: $0.seq, json: LocalFrame.json($0.json)) }
        let newest = max(run?.upperBound ?? 0, missed.last?.seq ?? 0)
        // Written in one go, a replay over the budget would only drop the client, which would resume into the same wall.
        guard budget.fits(frames: replay.count, bytes: replay.reduce(0) { $0 + $1.frame.readableBytes }) else {
            let limits = budget.limits
            writeLocal(LocalFrame.reloadRequired(
                orchestratorID: orchestratorID, lastSeq: newest, header,
                message: "the events you missed are more than a connection may have queued (client_queue_limit \(limits.frames) frames, client_queue_bytes \(limits.bytes)); reload history with /load_chat, then continue from last_seq"))
            if newest > lastSeq { delivered[orchestratorID] = (lastSeq + 1)...newest }
            releaseHeld(orchestratorID)
            return
        }
        var replayed = 0
        for event in replay where write(event, record: false) { replayed += 1 }
        if newest > lastSeq { delivered[orchestratorID] = (lastSeq + 1)...newest }
        writeLocal(LocalFrame.resumed(orchestratorID: orchestratorID, replayed: replayed,
                                      lastSeq: delivered[orchestratorID]?.upperBound ?? lastSeq, header))
        releaseHeld(orchestratorID)
    }

    private func releaseHeld(_ orchestratorID: String) {
        let events = held.removeValue(forKey: orchestratorID) ?? []
        budget.released(frames: events.count, bytes: events.reduce(0) { $0 + $1.frame.readableBytes })
        for event in events { _ = write(event) }
    }

    // MARK: Replies

    private func reply(_ error: APIError, to header: ClientRequest.Header?) {
        hub.metrics.error(error.code, via: "ws")
        writeLocal(LocalFrame.error(error, replyingTo: header))
    }

    private func writeLocal(_ frame: JSONValue) {
        guard let context, !closing else { return }
        emit(ServerFrame.encode(ServerFrame.text, LocalFrame.json(frame), allocator: context.channel.allocator))
    }
}
