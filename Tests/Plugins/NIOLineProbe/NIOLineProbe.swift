import Foundation
import NIOCore
import NIOPosix
import PluginAPI

/// A second SwiftNIO-bundling plugin (tests): its one op, "probe", connects to
/// a line server, sends one line and returns the line that comes back.
@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(name: "NIOLineProbe", version: "1.0.0",
                                         description: "A SwiftNIO TCP client (tests)", store: LineProbe.self))
}

final class LineProbe: StorePlugin {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(host: PluginHost) throws {}
    /// Not a sync shutdown: the last reference may be dropped on one of the group's own threads.
    deinit { group.shutdownGracefully { _ in } }

    struct Probe: Decodable { var address: String; var line: String }

    func handle(_ request: Request) async throws -> Data {
        guard request.op == "probe" else { throw PluginError.unsupported("NIOLineProbe has only the op \"probe\"") }
        let probe = try request.decode(Probe.self)
        guard let colon = probe.address.lastIndex(of: ":"), let port = Int(probe.address[probe.address.index(after: colon)...]) else {
            throw PluginError.invalid("invalid_address", "address must be host:port")
        }
        let reply = ReplyHandler(promise: group.next().makePromise(of: String.self))
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(reply) }
            .connect(host: String(probe.address[..<colon]), port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: probe.line + "\n"))
        let line = try await reply.promise.futureResult.get()
        try? await channel.close()
        return try JSON.encode(["reply": line])
    }
}

final class ReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String>
    private var received = ""
    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        if let newline = received.firstIndex(of: "\n") { promise.succeed(String(received[..<newline])) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }
}
