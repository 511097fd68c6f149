import Foundation
import NIOCore
import NIOHTTP1
import PluginAPI

/// An error answered below the router (a refused upgrade, a timeout, the connection
/// cap): the same JSON body and the headers the middleware would have added, and
/// `Connection: close`, since each of these ends the connection.
struct EarlyResponse {
    let error: APIError
    var extraHeaders: [(String, String)] = []

    var body: ByteBuffer { ByteBuffer(bytes: (try? JSON.encode(error.json)) ?? Data()) }

    var headerFields: [(String, String)] {
        var fields = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(body.readableBytes)),
                      ("Connection", "close"), ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]
        if error.status == .unauthorized { fields.append(("WWW-Authenticate", "Bearer")) }
        if let seconds = error.retryAfter { fields.append(("Retry-After", String(seconds))) }
        return fields + extraHeaders
    }

    /// Writes the response as NIO HTTP/1 parts from `context`; the future completes once it is written.
    func write(_ context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: Int(error.status.code)), headers: HTTPHeaders(headerFields))
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: written)
        return written.futureResult
    }
}
