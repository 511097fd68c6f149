import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PluginAPI

/// A line-oriented TCP transport on SwiftNIO (tests): each line a client sends
/// is a host request whose reply is written back as one line; every event the
/// host delivers is written to every client.
@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(name: "NIOLineTransport", version: "1.0.0",
                                         description: "Line-delimited JSON over TCP on SwiftNIO (tests)", transport: LineTransport.self))
}

final class LineTransport: TransportPlugin {
    struct Options: Decodable { var listen: String? }
    let host: PluginHost
    let listen: (host: String, port: Int)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let state = NIOLockedValueBox<(server: Channel?, clients: [ObjectIdentifier: Channel], stopped: Bool)>((nil, [:], false))

    init(host: PluginHost) throws {
        self.host = host
        let address = try host.options(Options.self).listen ?? "127.0.0.1:0"
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw PluginError.invalid("invalid_listen", "listen must be host:port, got \"\(address)\"")
        }
        listen = (String(address[..<colon]), port)
    }

    /// Not a sync shutdown: the last reference may be dropped on one of the group's own threads
    /// (a channel handler holds the transport), where a sync shutdown traps.
    deinit { if !state.withLockedValue({ $0.stopped }) { group.shutdownGracefully { _ in } } }

    func start() async throws -> String {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.addHandlers([ByteToMessageHandler(LineDecoder()), LineHandler(transport: self)])
            }
            .bind(host: listen.host, port: listen.port).get()
        state.withLockedValue { $0.server = server }
        return "\(listen.host):\(server.localAddress?.port ?? 0)"
    }

    func stop() async {
        let (server, clients) = state.withLockedValue { ($0.server, Array($0.clients.values)) }
        try? await server?.close()
        for client in clients { try? await client.close() }
        state.withLockedValue { $0.stopped = true }
        try? await group.shutdownGracefully()
    }

    var isStopped: Bool { state.withLockedValue { $0.stopped } }

    func deliver(_ event: EventView) {
        var buffer = ByteBufferAllocator().buffer(capacity: event.json.len + 1)
        if let pointer = event.json.ptr { buffer.writeBytes(UnsafeRawBufferPointer(start: pointer, count: event.json.len)) }
        buffer.writeInteger(UInt8(ascii: "\n"))
        for client in state.withLockedValue({ Array($0.clients.values) }) {
            client.writeAndFlush(buffer, promise: nil)
        }
    }

    func connected(_ channel: Channel) { state.withLockedValue { $0.clients[ObjectIdentifier(channel)] = channel } }
    func disconnected(_ channel: Channel) { _ = state.withLockedValue { $0.clients.removeValue(forKey: ObjectIdentifier(channel)) } }
}

struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

final class LineHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let transport: LineTransport
    init(transport: LineTransport) { self.transport = transport }

    func channelActive(context: ChannelHandlerContext) { transport.connected(context.channel) }
    func channelInactive(context: ChannelHandlerContext) { transport.disconnected(context.channel) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = Data(unwrapInboundIn(data).readableBytesView)
        let channel = context.channel
        let host = transport.host
        let transport = transport
        Task {
            var reply: Data
            do { reply = try await host.request(line) } catch { reply = PluginError(error).body }
            reply.append(UInt8(ascii: "\n"))
            // A reply that arrives after stop has no loop left to write on.
            guard !transport.isStopped else { return }
            try? await channel.writeAndFlush(ByteBuffer(bytes: reply))
        }
    }
}
