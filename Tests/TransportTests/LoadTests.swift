import Foundation
import OrchTesting
import PluginAPI
import Testing

/// Many clients, a stalled client, dead clients, and a fuzz corpus: the server keeps serving everyone else.
@Suite(.serialized) struct LoadTests {
    func withHost(_ options: [String: JSONValue] = [:], maxMessageBytes: Int = 100_000, _ body: (TestHost) async throws -> Void) async throws {
        try await TestHost.with(options, maxMessageBytes: maxMessageBytes, body)
    }

    @Test func aHundredClientsEachReceiveEveryChunkOfATurn() async throws {
        try await withHost { host in
            host.replyChunks = (0..<200).map { "w\($0) " }
            var sockets: [TestSocket] = []
            for _ in 0..<100 { sockets.append(try await TestSocket.connect(host.webSocketURL)) }
            #expect(try await RawHTTP.get(port: host.port, "/health").json?["websocket_connections"] == .int(100))
            let accepted = try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"to all","orchestrator_agent_id":"\#(host.orchestratorID)"}"#)
            #expect(accepted.status == 202)
            let expected = host.replyChunks.joined()
            for socket in sockets {
                #expect(await socket.waitFor(timeout: .seconds(30)) { $0["type"] == .string("orchestrator_updated") } != nil)
                let chunks = socket.events.filter { $0["type"] == .string("chat_stream") && $0["is_complete"] == .bool(false) }
                #expect(chunks.count == 200)
                #expect(chunks.compactMap { $0["chunk"]?.stringValue }.joined() == expected)
                socket.close()
            }
        }
    }

    /// A client that never reads is dropped once it is `client_queue_limit` frames behind;
    /// meanwhile the others get every event promptly, and the dropped one can resume.
    @Test func aStalledClientDoesNotDelayTheOthers() async throws {
        try await withHost(["client_queue_limit": .int(50)]) { host in
            let stalled = try await RawWebSocket.connect(port: host.port, reading: false)
            var readers: [TestSocket] = []
            for _ in 0..<5 { readers.append(try await TestSocket.connect(host.webSocketURL)) }
            #expect(await eventually { await host.connectionCount() == 6 })
            // Closed loop: each event must reach every reader before the next is published,
            // so the delay measured is the server's, not a backlog in the test's own clients.
            let message = UUID().uuidString.lowercased(), filler = String(repeating: "x", count: 4000)
            var delays: [Duration] = []
            for index in 0..<400 {
                let sent = ContinuousClock.now
                host.publishChunk("\(index) \(filler)", messageID: message)
                #expect(await eventually { readers.allSatisfy { $0.events.count > index } }, "event \(index) did not reach every reader")
                delays.append(readers.map { ($0.arrivalTimes.last ?? sent) - sent }.max() ?? .zero)
            }
            delays.sort()
            #expect(delays[delays.count * 99 / 100] < .milliseconds(100), "p99 \(delays[delays.count * 99 / 100]) next to a stalled client")
            for reader in readers {
                #expect(reader.events.count == 400)
                reader.close()
            }
            let metrics = try await RawHTTP.get(port: host.port, "/metrics").text
            #expect(metrics.contains("orch_ws_slow_clients_dropped_total 1"))
            #expect(await eventually { await host.connectionCount() == 0 })
            stalled.connection.close()
            // It comes back and resumes: the 64-event test window is long gone, so it is told to reload.
            let back = try await TestSocket.connect(host.webSocketURL)
            back.send(.object(["type": .string("resume"), "orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(10)]))
            #expect(await back.waitFor { $0["type"] == .string("reload_required") }?["last_seq"] == .int(400))
            back.close()
        }
    }

    @Test func theSlowClientIsToldWhyItWasDropped() async throws {
        try await withHost(["client_queue_limit": .int(20)]) { host in
            let slow = try await RawWebSocket.connect(port: host.port)
            // It reads nothing while a burst goes out, then reads what it was sent.
            slow.connection.channel.setOption(.autoRead, value: false).whenSuccess {}
            let filler = String(repeating: "y", count: 4000)
            for index in 0..<400 { host.publishChunk("\(index) \(filler)", messageID: "m") }
            _ = try await slow.connection.channel.setOption(.autoRead, value: true).get()
            var close: RawWebSocket.Frame?
            while let frame = await slow.next(timeout: .seconds(10)) {
                if frame.opcode == 0x8 { close = frame; break }
            }
            #expect(close?.closeCode == 4001)
            #expect(close?.closeReason == "too slow: over 20 frames or 4194304 bytes queued; reconnect and resume from your last seq")
        }
    }

    @Test func aClientThatStopsAnsweringPingsIsDropped() async throws {
        try await withHost(["heartbeat_s": .double(0.2)]) { host in
            let live = try await TestSocket.connect(host.webSocketURL)
            #expect(live.messages.first?["heartbeat_s"] == .double(0.2))
            let dead = try await RawWebSocket.connect(port: host.port)
            // Read frames without answering the pings.
            var close: RawWebSocket.Frame?
            while let frame = await dead.connection.receive(timeout: .seconds(5), RawWebSocket.parse) {
                if frame.opcode == 0x8 { close = frame; break }
            }
            #expect(close?.closeCode == 4000)
            #expect(close?.closeReason.hasPrefix("no reply to pings for") == true)
            #expect(await dead.connection.waitUntilClosed())
            // The client that answers pings is still there.
            live.send(#"{"type":"ping"}"#)
            #expect(await live.waitFor { $0["type"] == .string("pong") } != nil)
            #expect(!live.isClosed)
            live.close()
        }
    }

    /// Ten thousand malformed inputs from a seeded generator: each one answered with an
    /// error frame (connection kept) or a close with code and reason; the server stays up.
    @Test func aFuzzCorpusNeverCrashesTheServer() async throws {
        try await withHost(["max_frame_bytes": .int(65536)], maxMessageBytes: 1024) { host in
            func open() async throws -> RawWebSocket {
                let socket = try await RawWebSocket.connect(port: host.port)
                #expect(await socket.next()?.json?["type"] == .string("connection_established"))
                return socket
            }
            var socket = try await open()
            var pending: [FuzzCorpus.Case] = []
            var answered = 0, closes = 0
            func drain() async {
                for item in pending {
                    guard let frame = await socket.next() else {
                        Issue.record("no answer to \(item.label)")
                        continue
                    }
                    guard case .error(let codes) = item.expected, frame.opcode == 0x1, frame.json?["type"] == .string("error"),
                          let code = frame.json?["code"]?.stringValue else {
                        Issue.record("\(item.label): expected an error frame, got opcode \(frame.opcode) \(frame.text.prefix(200))")
                        continue
                    }
                    #expect(codes.contains(code), "\(item.label): \(code) \(frame.json?["message"]?.stringValue ?? "")")
                    #expect(frame.json?["message"]?.stringValue?.isEmpty == false)
                    answered += 1
                }
                pending = []
            }
            for item in FuzzCorpus(seed: 0x0BC4_2026, count: 10_000, maxFrameBytes: 65536) {
                switch item.expected {
                case .error:
                    try await socket.send(item.bytes)
                    pending.append(item)
                    if pending.count == 64 { await drain() }
                case .close(let code):
                    await drain()
                    try await socket.send(item.bytes)
                    let frame = await socket.next()
                    #expect(frame?.closeCode == code, "\(item.label): \(frame.map { "\($0.opcode) \($0.text.prefix(100))" } ?? "nothing")")
                    #expect(frame?.closeReason.isEmpty == false, "\(item.label): a close needs a reason")
                    #expect(await socket.connection.waitUntilClosed(), "\(item.label): the socket stayed open")
                    answered += 1
                    closes += 1
                    socket = try await open()
                }
            }
            await drain()
            #expect(answered == 10_000)
            #expect(closes > 300)
            #expect(try await RawHTTP.get(port: host.port, "/health").status == 200)
            let fresh = try await TestSocket.connect(host.webSocketURL)
            fresh.send(#"{"type":"ping"}"#)
            #expect(await fresh.waitFor { $0["type"] == .string("pong") } != nil)
            fresh.close()
        }
    }
}
