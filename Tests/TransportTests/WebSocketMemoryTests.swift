import Foundation
import OrchTesting
import PluginAPI
import Testing

/// Issue #19 on the WebSocket side: a client that sends pings and bad frames and never
/// reads its pongs and errors grew `orch` by 2–8 MiB/s and was never closed. The
/// transport runs in the real `orch serve` (default limits), so its RSS is read from
/// `/proc/<orch pid>`, as UnixSocketHardeningTests does for the Unix socket.
@Suite(.serialized) struct WebSocketMemoryTests {
    /// How long the flood runs: the issue's figure is 60 s; the default keeps the suite short.
    static let floodSeconds = Int(ProcessInfo.processInfo.environment["ORCH_TEST_FLOOD_SECONDS"] ?? "") ?? 15

    @Test func aClientThatAsksAndNeverReadsIsBoundedDroppedAndFreed() async throws {
        let host = try await UnixHost.start(
            transports: """
                [[transports]]
                plugin = "WebSocketTransport"
                [transports.options]
                listen = "127.0.0.1:0"
                auth = "none"
                """)
        let pid = host.orch.process.processIdentifier
        let port = Int(host.tcpAddress.split(separator: ":").last ?? "") ?? 0
        let watcher = try host.connect()
        let id: JSONValue = .string(host.orchestratorID)
        // Warm up what the first turns and the first WebSocket client cost once (the event loops' buffers, the store's cache).
        let browser = try await RawWebSocket.connect(port: port)
        for turn in 0..<3 {
            let ack = try await watcher.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": .string("warm up \(turn)")])
            #expect(await watcher.waitFor { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"] == ack?["turn_id"] } })
        }
        try await browser.sendText(#"{"type":"ping"}"#)
        #expect(await eventually { (await browser.next())?.json?["type"] == "pong" })
        browser.connection.close()
        let baseline = try residentKiB(pid)

        // Every kind of frame it provokes: pong frames, JSON pongs, error replies; and the events of the turns below.
        let ping = RawWebSocket.frame(opcode: 0x9, payload: Array(repeating: 0x70, count: 125))
        let jsonPing = RawWebSocket.frame(opcode: 0x1, payload: Array(#"{"type":"ping"}"#.utf8))
        let binary = RawWebSocket.frame(opcode: 0x2, payload: [1, 2, 3])
        let batch = Array(repeating: ping + jsonPing + binary, count: 200).flatMap { $0 }
        let until = ContinuousClock.now + .seconds(Self.floodSeconds)
        var peak = baseline, connections = 0, turns = 0
        while ContinuousClock.now < until {
            // A never-reading client that comes straight back each time it is dropped.
            let flooder = try await RawWebSocket.connect(port: port, reading: false)
            connections += 1
            while ContinuousClock.now < until, (try? await flooder.send(batch)) != nil {
                peak = max(peak, try residentKiB(pid))
                if turns < connections * 2 {
                    turns += 1
                    _ = try await watcher.ask([
                        "type": "chat_message", "orchestrator_agent_id": id, "message": .string("during the flood \(turns)"),
                    ])
                }
            }
            flooder.connection.close()
        }
        let dropped =
            host.orch.stderr.components(
                separatedBy: "fell too far behind; closing it with 4001: too slow: over 4096 frames or 4194304 bytes queued"
            ).count - 1
        #expect(dropped >= 1, "\(host.orch.stderr.suffix(2000))")
        #expect(try await watcher.ask(["type": "ping"], reply: "pong") != nil, "the host kept answering others")

        var after = try residentKiB(pid)
        #expect(
            await eventually(timeout: .seconds(15)) {
                after = (try? residentKiB(pid)) ?? .max; return after < baseline + 5 * 1024
            },
            "RSS \(after) KiB after, \(baseline) KiB before")
        #expect(peak - baseline < 20 * 1024, "RSS grew from \(baseline) to \(peak) KiB")
        print(
            "WebSocket flood without reading for \(Self.floodSeconds) s: RSS \(baseline) KiB → peak \(peak) KiB → \(after) KiB after it left; \(connections) connections, \(dropped) dropped with 4001"
        )
        #expect(await host.stop() == 0)
    }
}
