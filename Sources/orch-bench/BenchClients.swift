import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The client side of `orch-bench ws`, run as a child process so the server's memory is
/// measured alone: N WebSocket clients on one event loop, each timing every chunk from
/// the stamp in its text to its arrival.
enum BenchClients {
    static func run(_ arguments: [String]) async throws {
        func value(_ name: String) -> Int { Int(arguments.drop { $0 != name }.dropFirst().first ?? "") ?? 0 }
        let port = value("--port"), count = value("--clients"), chunks = value("--chunks")
        // `--type agent_log`: count the frames of that type (arrival only) instead of timing stamped chunks.
        let counted = arguments.drop { $0 != "--type" }.dropFirst().first.map { Array(#""type":"\#($0)""#.utf8) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tally = Tally()
        var channels: [any Channel] = []
        for _ in 0..<count {
            let handler = ClientHandler(tally: tally, port: port, counted: counted)
            channels.append(try await ClientBootstrap(group: group)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
                .connect(host: "127.0.0.1", port: port).get())
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while tally.snapshot.upgraded < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        emit("connected \(tally.snapshot.upgraded)")
        let expected = count * chunks
        let end = ContinuousClock.now + .seconds(120)
        while tally.snapshot.received < expected, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(20)) }
        var latencies = tally.latencies
        latencies.sort()
        emit("result received=\(latencies.count) expected=\(expected) p50_us=\(percentile(latencies, 0.5) / 1000) "
              + "p99_us=\(percentile(latencies, 0.99) / 1000) max_us=\((latencies.last ?? 0) / 1000)")
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()
    }

    /// Unbuffered, so the parent sees each line when it is written.
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    final class Tally: @unchecked Sendable {
        private let lock = NIOLock()
        private var upgraded = 0
        private var samples: [UInt64] = []
        var snapshot: (upgraded: Int, received: Int) { lock.withLock { (upgraded, samples.count) } }
        var latencies: [UInt64] { lock.withLock { samples } }
        func didUpgrade() { lock.withLock { upgraded += 1 } }
        func record(_ batch: [UInt64]) { lock.withLock { samples += batch } }
    }

    /// Speaks just enough WebSocket: the handshake, unmasked server frames, pongs.
    final class ClientHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let tally: Tally
        let port: Int
        let counted: [UInt8]?
        private var pending = ByteBuffer()
        private var upgraded = false
        private static let stamp = Array(#""t="#.utf8)

        init(tally: Tally, port: Int, counted: [UInt8]? = nil) {
            self.tally = tally
            self.port = port
            self.counted = counted
        }

        func channelActive(context: ChannelHandlerContext) {
            let request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            pending.writeBuffer(&incoming)
            let arrived = monotonicNanoseconds()
            if !upgraded {
                guard let end = pending.readableBytesView.firstRange(of: [13, 10, 13, 10]) else { return }
                pending.moveReaderIndex(to: end.upperBound)
                upgraded = true
                tally.didUpgrade()
            }
            var batch: [UInt64] = []
            while let (opcode, payload) = nextFrame() {
                if opcode == 0x9 {
                    // Pong, masked with a zero key as RFC 6455 allows.
                    var pong = ByteBuffer(bytes: [0x8A, 0x80 | UInt8(payload.readableBytes), 0, 0, 0, 0])
                    pong.writeImmutableBuffer(payload)
                    context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
                } else if opcode == 0x1, let counted {
                    if payload.readableBytesView.firstRange(of: counted) != nil { batch.append(0) }
                } else if opcode == 0x1, let stamped = Self.stampedAt(payload) {
                    batch.append(arrived - min(arrived, stamped))
                }
            }
            if !batch.isEmpty { tally.record(batch) }
            pending.discardReadBytes()
        }

        private func nextFrame() -> (UInt8, ByteBuffer)? {
            let view = pending.readableBytesView
            guard view.count >= 2 else { return nil }
            let first = view[view.startIndex], second = view[view.startIndex + 1]
            var length = Int(second & 0x7F), header = 2
            if length == 126 {
                guard view.count >= 4 else { return nil }
                length = Int(view[view.startIndex + 2]) << 8 | Int(view[view.startIndex + 3])
                header = 4
            } else if length == 127 {
                guard view.count >= 10 else { return nil }
                length = view[(view.startIndex + 2)..<(view.startIndex + 10)].reduce(0) { $0 << 8 | Int($1) }
                header = 10
            }
            guard view.count >= header + length else { return nil }
            pending.moveReaderIndex(forwardBy: header)
            return (first & 0x0F, pending.readSlice(length: length)!)
        }

        /// The nanoseconds after `"t=` in a chunk frame.
        private static func stampedAt(_ payload: ByteBuffer) -> UInt64? {
            let view = payload.readableBytesView
            guard let start = view.firstRange(of: stamp)?.upperBound else { return nil }
            var value: UInt64 = 0
            for byte in view[start...] {
                guard byte >= 48, byte <= 57 else { break }
                value = value * 10 + UInt64(byte - 48)
            }
            return value
        }
    }
}
