import Foundation
import NIOCore
import NIOHTTP1

/// Serves one HTTP connection: records each request, answers `/v1/messages`
/// from the script, and everything else the CLI may call at startup.
final class MessagesHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let script: Script
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// False once the client went away: a streaming reply stops writing.
    private var connected = true

    init(script: Script) { self.script = script }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connected = false
        context.fireChannelInactive()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        let request = RecordedRequest(method: head.method.rawValue, path: head.uri, headers: headers,
                                      body: Data(body.readableBytesView))
        script.record(request)
        let keepAlive = head.isKeepAlive
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.HEAD, _), (.GET, "/api/hello"):
            // The CLI probes reachability with `HEAD /api/hello` at startup.
            send(status: .ok, json: nil, keepAlive: keepAlive, context: context)
        case (.POST, "/v1/messages/count_tokens"):
            send(status: .ok, json: #"{"input_tokens":12}"#, keepAlive: keepAlive, context: context)
        case (.POST, "/v1/messages"):
            answerMessages(request, keepAlive: keepAlive, context: context)
        default:
            let message = "the Anthropic loopback does not serve \(head.method.rawValue) \(path)"
            send(status: .notFound, json: ReplyRenderer.json(["type": "error", "error": ["type": "not_found_error", "message": message]]),
                 keepAlive: keepAlive, context: context)
        }
    }

    private func answerMessages(_ request: RecordedRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        let (reply, ordinal) = script.nextReply(for: request)
        if case .http(let status, let type, let message, let retryAfter) = reply.failure {
            let body = ReplyRenderer.json(["type": "error", "error": ["type": type, "message": message], "request_id": "req_loop\(ordinal)"])
            var extra = [("request-id", "req_loop\(ordinal)")]
            if let retryAfter { extra.append(("retry-after", "\(retryAfter)")) }
            send(status: HTTPResponseStatus(statusCode: status), json: body, extraHeaders: extra, keepAlive: keepAlive, context: context)
            return
        }
        let script = self.script
        let renderer = ReplyRenderer(reply: reply, model: request.model ?? "claude-sonnet-4-5",
                                     messageID: "msg_loop\(ordinal)_\(UUID().uuidString.prefix(8).lowercased())",
                                     nextStamp: { script.nextStamp() })
        guard request.stream else {
            send(status: .ok, json: renderer.message(), extraHeaders: [("request-id", "req_loop\(ordinal)")], keepAlive: keepAlive, context: context)
            return
        }
        var headers = HTTPHeaders([("content-type", "text/event-stream"), ("cache-control", "no-cache"), ("request-id", "req_loop\(ordinal)")])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        stream(renderer.frames()[...], keepAlive: keepAlive, context: context)
    }

    /// Writes the frames in order, each after its delay, on the channel's event loop.
    private func stream(_ frames: ArraySlice<ReplyRenderer.Frame>, keepAlive: Bool, context: ChannelHandlerContext) {
        var rest = frames
        while connected, let frame = rest.first, frame.delay == .zero {
            write(frame, context: context)
            rest = rest.dropFirst()
        }
        guard connected else { return }
        guard let frame = rest.first else {
            finish(keepAlive: keepAlive, context: context)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let remaining = rest.dropFirst()
        context.eventLoop.scheduleTask(in: TimeAmount(frame.delay)) {
            let (handler, context) = bound.value
            guard handler.connected else { return }
            handler.write(frame, context: context)
            handler.stream(remaining, keepAlive: keepAlive, context: context)
        }
    }

    private func write(_ frame: ReplyRenderer.Frame, context: ChannelHandlerContext) {
        if let stamp = frame.stamp { script.stamped(stamp, at: .now) }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: frame.bytes)))), promise: nil)
    }

    private func send(status: HTTPResponseStatus, json: String?, extraHeaders: [(String, String)] = [],
                      keepAlive: Bool, context: ChannelHandlerContext) {
        let bytes = json.map { ByteBuffer(string: $0) } ?? ByteBuffer()
        var headers = HTTPHeaders([("content-length", "\(bytes.readableBytes)")] + extraHeaders)
        if json != nil { headers.add(name: "content-type", value: "application/json") }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if bytes.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil) }
        finish(keepAlive: keepAlive, context: context)
    }

    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
