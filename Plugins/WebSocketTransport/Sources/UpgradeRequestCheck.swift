import NIOCore
import NIOHTTP1

/// NIO's upgrade handler swallows the head of an upgrade request that no upgrader takes
/// (`Upgrade: h2c`), and the router then sees a request without a head: the connection
/// used to end with no reply. This looks at the first head before NIO does and notes
/// the refusal, so the refused-upgrade path answers it with a 400. A WebSocket upgrade
/// is left to `HandshakeCheck`; only a connection's first request can upgrade.
final class UpgradeRequestCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let refusal: NIOLoopBoundBox<APIError?>
    /// Once the head has passed, an upgrade may complete within the same call and send the
    /// client's first frames through here as raw bytes, before this handler is removed.
    private var sawHead = false

    init(refusal: NIOLoopBoundBox<APIError?>) { self.refusal = refusal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !sawHead, case .head(let head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        sawHead = true
        refusal.value = Self.refusal(head)
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    static func refusal(_ head: HTTPRequestHead) -> APIError? {
        let protocols = head.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        guard !protocols.isEmpty else { return nil }
        guard protocols.contains("websocket") else {
            return .badRequest(
                "unsupported_upgrade",
                "this server upgrades only to websocket (at /ws), not to \(protocols.joined(separator: ", ").prefix(100))")
        }
        return nil
    }
}
