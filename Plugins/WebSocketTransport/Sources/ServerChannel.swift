import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL
import NIOWebSocket
import PluginAPI

/// Each accepted socket: HTTP/1.1 served by Hummingbird, or, for an allowed upgrade
/// of `/ws`, a WebSocket handled by `WebSocketConnection` directly on the event loop.
///
/// Hummingbird's own WebSocket channel writes every frame through an actor and an
/// async writer (two hops per frame per client), and closes oversize or malformed
/// frames without a reason; a broadcast to a thousand clients needs neither.
struct ServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case webSocket(any Channel)
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade we refused: NIO has consumed the request, so we answer it here.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, APIError)
        /// Over `max_connections`: `RefuseConnection` answers 503 and closes it.
        case overCapacity(any Channel)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let hub: WebSocketHub
    /// Why an upgrade request (from the client's IP address) may not become a WebSocket, or nil when it may.
    let refuseUpgrade: @Sendable (HTTPRequestHead, String?) -> APIError?
    let timeouts: RequestDeadlines.Limits
    let cap: ConnectionCap
    /// Set with `tls_cert`/`tls_key`: every connection, even one refused, speaks TLS.
    let tls: NIOSSLContext?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let metrics = hub.metrics, cap = cap
        guard cap.admit() else {
            metrics.connectionsRefused.increment()
            return channel.eventLoop.makeCompletedFuture {
                try self.addTLS(to: channel)
                try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                try channel.pipeline.syncOperations.addHandler(RefuseConnection(limit: cap.limit))
                return Value(negotiated: channel.eventLoop.makeSucceededFuture(.overCapacity(channel)), channel: channel)
            }
        }
        metrics.openConnections.increment()
        channel.closeFuture.whenComplete { _ in
            cap.release()
            metrics.openConnections.decrement()
        }
        return channel.eventLoop.makeCompletedFuture {
            let hub = self.hub
            let refusal = NIOLoopBoundBox<APIError?>(nil, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: hub.limits.maxFrameBytes,
                // Errors go to WebSocketConnection, which closes with a reason.
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    refusal.value = self.refuseUpgrade(head, channel.remoteAddress?.ipAddress)
                    if refusal.value == nil { RequestDeadlines.upgradeApproved(on: channel) }
                    return channel.eventLoop.makeSucceededFuture(refusal.value == nil ? HTTPHeaders() : nil)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        // A fixed kernel send buffer: left to autotuning, a client that stops reading
                        // could park megabytes in the kernel before client_queue_limit ever counts.
                        try channel.syncOptions?.setOption(.socketOption(.so_sndbuf), value: 64 * 1024)
                        try channel.syncOptions?.setOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
                        try channel.pipeline.syncOperations.addHandler(WebSocketConnection(hub: hub, eventLoop: channel.eventLoop))
                        return Negotiated.webSocket(channel)
                    }
                })
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [HandshakeCheck(upgrader: upgrader, refusal: refusal)],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: self.tls != nil))
                        // Only for graceful shutdown: RequestDeadlines keeps the clocks.
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return refusal.value.map { .refused(http, $0) } ?? .http(http)
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false  // NIOAsyncChannel serialises requests
            configuration.enableErrorHandling = true  // malformed HTTP gets a 400 and a close, not silence
            configuration.enableResponseHeaderValidation = false  // HTTPTypes validates headers
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let upgrades = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<Negotiated>.self)
            try channel.pipeline.syncOperations.addHandler(UpgradeRequestCheck(refusal: refusal), position: .before(upgrades))
            try channel.pipeline.syncOperations.addHandler(CloseOnParseError())
            try RequestDeadlines.install(on: channel, limits: timeouts) { metrics.timedOut($0.rawValue) }
            try self.addTLS(to: channel)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    /// In front of everything, so the deadlines' byte probe sees requests, not TLS records.
    private func addTLS(to channel: any Channel) throws {
        guard let tls else { return }
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let channel):
                await handleHTTP(asyncChannel: channel, logger: logger)
            case .refused(let channel, let error):
                try await Self.answer(channel, with: error)
            case .webSocket(let channel), .overCapacity(let channel):
                // Keeps the connection counted by the server until it closes, for graceful shutdown.
                try await channel.closeFuture.get()
            }
        } catch {
            logger.debug("connection ended during negotiation: \(error)")
        }
    }

    private static func answer(_ channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, with error: APIError) async throws {
        // Only /ws is upgraded, and it takes GET alone.
        let response = EarlyResponse(error: error, extraHeaders: error.status == .methodNotAllowed ? [("Allow", "GET")] : [])
        var headers = HTTPFields()
        for (name, value) in response.headerFields { if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) } }
        try await channel.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: [.head(HTTPResponse(status: error.status, headerFields: headers)), .body(response.body), .end(nil)])
        }
    }
}

extension Credentials {
    init(_ head: HTTPRequestHead) {
        self.init(host: head.headers.first(name: "host"), origins: head.headers["origin"],
                  authorization: head.headers.first(name: "authorization"), cookies: head.headers["cookie"],
                  hostHeaders: head.headers["host"].count)
    }
}

/// NIO's upgrader drops a handshake without a valid key or version 13 before asking
/// `shouldUpgrade`, and the client then hears nothing; this checks first, so the
/// client gets a 400 saying what was wrong.
private final class HandshakeCheck: NIOTypedHTTPServerProtocolUpgrader, Sendable {
    typealias UpgradeResult = ServerChannel.Negotiated
    let upgrader: NIOTypedWebSocketServerUpgrader<UpgradeResult>
    let refusal: NIOLoopBoundBox<APIError?>

    init(upgrader: NIOTypedWebSocketServerUpgrader<UpgradeResult>, refusal: NIOLoopBoundBox<APIError?>) {
        self.upgrader = upgrader
        self.refusal = refusal
    }

    var supportedProtocol: String { upgrader.supportedProtocol }
    var requiredUpgradeHeaders: [String] { upgrader.requiredUpgradeHeaders }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        let keys = upgradeRequest.headers["sec-websocket-key"], versions = upgradeRequest.headers["sec-websocket-version"]
        // RFC 6455 section 4.2.1 asks for Connection: Upgrade too, which NIO's upgrader does not check.
        let connection = upgradeRequest.headers[canonicalForm: "connection"].map { $0.lowercased() }
        guard keys.count == 1, Data(base64Encoded: keys[0])?.count == 16, versions == ["13"], connection.contains("upgrade") else {
            refusal.value = .badRequest("websocket_handshake_failed",
                                        "a WebSocket handshake needs Connection: Upgrade, one Sec-WebSocket-Key (16 bytes, base64) and Sec-WebSocket-Version: 13")
            return channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.invalidUpgradeHeader)
        }
        return upgrader.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        upgrader.upgrade(channel: channel, upgradeRequest: upgradeRequest)
    }
}

/// NIO answers malformed HTTP with a 400, but while the upgrade handler still waits for
/// a first request head nothing closes the socket, and the connection would hang.
private final class CloseOnParseError: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError { context.close(promise: nil) }
        context.fireErrorCaught(error)
    }
}
