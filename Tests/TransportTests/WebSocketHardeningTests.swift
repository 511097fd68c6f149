import Foundation
import NIOCore
import OrchTesting
import PluginAPI
import Testing

/// Issue #19 on the WebSocketTransport: every frame a client is sent counts against its
/// bound, and the protocol edges (close codes, upgrades other than a GET to websocket,
/// two Host headers) each get a specific answer instead of an echo or silence.
@Suite(.serialized) struct WebSocketHardeningTests {
    func withHost(_ options: [String: JSONValue] = [:], _ body: (TestHost) async throws -> Void) async throws {
        try await TestHost.with(options, body)
    }

    static let tooSlow = "too slow: over 64 frames or 65536 bytes queued; reconnect and resume from your last seq"

    /// Pings, pongs and error replies to a client that never reads used to pile up
    /// without limit; now they count like events, and it is closed with 4001.
    @Test func repliesToAClientThatNeverReadsCountAgainstItsBound() async throws {
        try await withHost(["client_queue_limit": .int(64), "client_queue_bytes": .int(65536)]) { host in
            let flooder = try await RawWebSocket.connect(port: host.port, reading: false)
            let ping = RawWebSocket.frame(opcode: 0x9, payload: Array(repeating: 0x70, count: 125))
            let jsonPing = RawWebSocket.frame(opcode: 0x1, payload: Array(#"{"type":"ping"}"#.utf8))
            let binary = RawWebSocket.frame(opcode: 0x2, payload: [1, 2, 3])
            let batch = Array(repeating: ping + jsonPing + binary, count: 100).flatMap { $0 }
            let dropped = await eventually(timeout: .seconds(30)) {
                try? await flooder.send(batch)
                return (try? await RawHTTP.get(port: host.port, "/metrics").text.contains("orch_ws_slow_clients_dropped_total 1")) ?? false
            }
            #expect(dropped, "the flooder was never dropped")
            // What it was sent before the drop, then the close frame saying why, before the socket closes.
            _ = try await flooder.connection.channel.setOption(.autoRead, value: true).get()
            #expect(await flooder.connection.receive(RawHTTP.parse)?.status == 101)
            let frames = try #require(await flooder.framesUntilClose(timeout: .seconds(20)))
            let close = try #require(frames.last)
            #expect(close.closeCode == 4001)
            #expect(close.closeReason == Self.tooSlow)
            let kinds = Set(frames.compactMap { $0.opcode == 0xA ? "pong frame" : $0.json?["type"]?.stringValue })
            #expect(kinds.isSuperset(of: ["connection_established", "pong frame", "pong", "error"]), "\(kinds)")
            #expect(await flooder.connection.waitUntilClosed())
            #expect(await eventually { await host.connectionCount() == 0 })
        }
    }

    /// A resume whose replay would not fit in the bound is answered reload_required
    /// (saying why) instead of dropping the client, which would resume into the same wall.
    @Test func aResumeTooBigForTheBoundAsksForAReload() async throws {
        try await withHost(["client_queue_limit": .int(16)]) { host in
            for index in 0..<30 { host.publishChunk("chunk \(index)", messageID: "m") }
            let socket = try await TestSocket.connect(host.webSocketURL)
            socket.send(
                .object(["type": "resume", "orchestrator_agent_id": .string(host.orchestratorID), "last_seq": 0, "request_id": "r"]))
            let reload = try #require(await socket.waitFor { $0["type"] == "reload_required" })
            #expect(reload["last_seq"] == 30)
            #expect(reload["request_id"] == "r")
            #expect(
                reload["message"]
                    == "the events you missed are more than a connection may have queued (client_queue_limit 16 frames, client_queue_bytes 4194304); reload history with /load_chat, then continue from last_seq"
            )
            #expect(socket.events.isEmpty, "nothing replayed")
            // Live events after last_seq still come, once each.
            host.publishChunk("after", messageID: "m")
            #expect(await socket.waitFor { $0["seq"] == 31 } != nil)
            #expect(!socket.isClosed)
            socket.close()
        }
    }

    /// RFC 6455 section 7.4: codes an endpoint may not send are a protocol error (1002), not echoed.
    @Test func aCloseWithACodeNoClientMaySendIsAnswered1002() async throws {
        try await withHost { host in
            for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
                let close = try await closeReply(host, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array("bye".utf8))
                #expect(close?.closeCode == 1002, "code \(code)")
                #expect(close?.closeReason == "close code \(code) may not be sent by an endpoint (RFC 6455, section 7.4)")
            }
            let short = try await closeReply(host, payload: [0x03])
            #expect(short?.closeCode == 1002)
            #expect(short?.closeReason == "a close frame carries nothing or a 2-byte code first")
            for code: UInt16 in [1000, 1001, 1003, 1011, 3000, 4999] {
                #expect(
                    try await closeReply(host, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])?.closeCode == code, "code \(code) is echoed"
                )
            }
            #expect(try await closeReply(host, payload: [])?.closeCode == 1000)
        }
    }

    private func closeReply(_ host: TestHost, payload: [UInt8]) async throws -> RawWebSocket.Frame? {
        let socket = try await RawWebSocket.connect(port: host.port)
        defer { socket.connection.close() }
        #expect(await socket.next()?.json?["type"] == "connection_established")
        try await socket.send(RawWebSocket.frame(opcode: 0x8, payload: payload))
        let reply = await socket.next()
        #expect(reply?.opcode == 0x8)
        #expect(await socket.connection.waitUntilClosed())
        return reply
    }

    /// A request written byte for byte on its own connection (RawHTTP sends each header once).
    private func exchange(_ host: TestHost, _ head: String, body: String = "") async throws -> RawHTTP.Response? {
        let connection = try await RawConnection.open(port: host.port)
        defer { connection.close() }
        try await connection.send(head.replacingOccurrences(of: "PORT", with: "\(host.port)") + "\r\n" + body)
        return await connection.receive(RawHTTP.parse)
    }

    private static let handshake =
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

    @Test func aWebSocketUpgradeByAnyMethodButGETIs405() async throws {
        try await withHost { host in
            for method in ["POST", "PUT", "DELETE"] {
                let response = try #require(
                    try await exchange(host, "\(method) /ws HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nContent-Length: 0\r\n\(Self.handshake)"))
                #expect(response.status == 405, "\(method)")
                #expect(response.errorCode == "method_not_allowed")
                #expect(response.errorMessage == "/ws accepts GET, not \(method)")
                #expect(response.headers["allow"] == "GET")
            }
            #expect(try await exchange(host, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\(Self.handshake)")?.status == 101)
        }
    }

    @Test func anUpgradeToAnythingButAWebSocketIs400() async throws {
        try await withHost { host in
            for target in ["/ws", "/health", "/"] {
                let h2c = try #require(
                    try await exchange(
                        host,
                        "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                    ))
                #expect(h2c.status == 400, "\(target)")
                #expect(h2c.errorCode == "unsupported_upgrade")
                #expect(h2c.errorMessage == "this server upgrades only to websocket (at /ws), not to h2c")
            }
            // websocket named, but without Connection: Upgrade.
            let half = try #require(
                try await exchange(
                    host,
                    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                ))
            #expect(half.status == 400)
            #expect(half.errorCode == "websocket_handshake_failed")
            #expect(
                half.errorMessage
                    == "a WebSocket handshake needs Connection: Upgrade, one Sec-WebSocket-Key (16 bytes, base64) and Sec-WebSocket-Version: 13"
            )
            // A plain request on the same server is untouched.
            #expect(try await RawHTTP.get(port: host.port, "/health").status == 200)
        }
    }

    @Test func twoHostHeadersAre400() async throws {
        try await withHost { host in
            for (request, target) in [
                ("GET /health HTTP/1.1\r\n", "health"), ("GET /ws HTTP/1.1\r\n\(Self.handshake)", "upgrade"),
                ("POST /interrupt HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n", "post"),
            ] {
                for hosts in [
                    "Host: 127.0.0.1:PORT\r\nHost: evil.example\r\n", "Host: evil.example\r\nHost: 127.0.0.1:PORT\r\n",
                    "Host: 127.0.0.1:PORT\r\nHost: 127.0.0.1:PORT\r\n",
                ] {
                    let response = try #require(try await exchange(host, request + hosts, body: target == "post" ? "{}" : ""), "\(target)")
                    #expect(response.status == 400, "\(target): \(hosts)")
                    #expect(response.errorCode == "duplicate_host")
                    #expect(response.errorMessage == "the request has 2 Host headers; send exactly one")
                }
            }
        }
    }

    /// A client whose socket goes away without a close frame (a closed tab, a reset) stops
    /// counting at once, not at the next heartbeat (20 s here).
    @Test func aClientGoneWithoutACloseFrameStopsCountingAtOnce() async throws {
        try await withHost { host in
            let quitter = try await RawWebSocket.connect(port: host.port)
            let reset = try await RawWebSocket.connect(port: host.port)
            #expect(await eventually { await host.connectionCount() == 2 })
            quitter.connection.close()
            #expect(await eventually(timeout: .seconds(2)) { await host.connectionCount() == 1 })
            // SO_LINGER 0: the close sends a reset instead of a FIN.
            let socket = try #require(reset.connection.channel as? any SocketOptionProvider)
            try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            reset.connection.close()
            #expect(await eventually(timeout: .seconds(2)) { await host.connectionCount() == 0 })
        }
    }

    /// An upgrade request whose body never ends keeps its body clock: approving the upgrade
    /// (which lets the frames behind it through untouched) must not switch the clocks off early.
    @Test func anUpgradeRequestWhoseBodyNeverEndsStillTimesOut() async throws {
        try await withHost(["body_timeout_s": .double(1)]) { host in
            let connection = try await RawConnection.open(port: host.port)
            defer { connection.close() }
            try await connection.send("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(host.port)\r\nContent-Length: 100\r\n\(Self.handshake)\r\n")
            let response = await connection.receive(RawHTTP.parse)
            #expect(response?.status == 408)
            #expect(response?.errorCode == "request_timeout")
            #expect(await connection.waitUntilClosed(timeout: .seconds(5)))
        }
    }
}
