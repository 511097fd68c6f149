import Foundation
import OrchTesting
import PluginAPI
import Testing

/// Two transports at once on one host: a turn started from the terminal (the
/// Unix socket) streams to the browser (the WebSocket) and the other way round,
/// and both see the same events with the same sequence numbers.
@Suite struct BothTransportsTests {
    /// The WebSocketTransport as built with the host, or one named by
    /// ORCH_TEST_WEBSOCKET_TRANSPORT (to test against a build from elsewhere).
    static let webSocketTransport = ProcessInfo.processInfo.environment["ORCH_TEST_WEBSOCKET_TRANSPORT"] ?? Paths.plugin("WebSocketTransport")

    /// A `[[transports]]` table: that transport on a free loopback port, without a token.
    static let webSocketTable = """
        [[transports]]
        plugin = "\(webSocketTransport)"
        [transports.options]
        listen = "127.0.0.1:0"
        auth = "none"
        """


    @Test(.enabled(if: FileManager.default.fileExists(atPath: webSocketTransport), "needs the WebSocketTransport (issue #6) built"))
    func terminalAndBrowserSeeTheSameTurnsWithTheSameSeqs() async throws {
        let host = try await UnixHost.start(transports: Self.webSocketTable)
        let terminal = try host.connect()
        let browser = try WebSocketClient(host.tcpAddress)
        #expect(await browser.next("connection_established") != nil)
        #expect(await terminal.next("connection_established") != nil)
        let id: JSONValue = .string(host.orchestratorID)
        try terminal.send(["type": "chat_message", "orchestrator_agent_id": id, "message": "from the terminal"])
        #expect(await browser.waitFor { $0.filter { $0["type"] == "turn_complete" }.count == 1 })
        try browser.send(["type": "chat_message", "orchestrator_agent_id": id, "message": "from the browser"])
        try await Self.expectTheSameStream(terminal, browser, replies: ["You said: from the terminal", "You said: from the browser"])
        #expect(await host.stop() == 0)
    }

    /// The same with the TCP line transport in the browser's place, which every build has.
    @Test func terminalAndAnotherTransportSeeTheSameTurnsWithTheSameSeqs() async throws {
        let host = try await UnixHost.start(transports: """
            [[transports]]
            plugin = "NIOLineTransport"
            [transports.options]
            listen = "127.0.0.1:0"
            """)
        let terminal = try host.connect()
        let other = try LineClient.tcp(host.tcpAddress)
        let before = other.lines.count
        try other.send(["op": "ping"])
        #expect(await other.waitFor { $0.count > before }, "the TCP client is connected")
        let id: JSONValue = .string(host.orchestratorID)
        try terminal.send(["type": "chat_message", "orchestrator_agent_id": id, "message": "from the terminal"])
        #expect(await other.waitFor { $0.filter { $0["type"] == "turn_complete" }.count == 1 })
        try other.send(["op": "send_chat", "orchestrator_agent_id": id, "message": "from the other side"])
        try await Self.expectTheSameStream(terminal, other, replies: ["You said: from the terminal", "You said: from the other side"])
        #expect(await host.stop() == 0)
    }

    static func expectTheSameStream(_ first: MessageLog, _ second: MessageLog, replies: [String]) async throws {
        for client in [first, second] {
            #expect(await client.waitFor { $0.filter { $0["type"] == "turn_complete" }.count == replies.count })
        }
        #expect(!first.events.isEmpty)
        #expect(first.events == second.events, "identical events, identical seqs, identical order")
        #expect(first.events.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(first.events.count)))
        let saved = first.events.filter { $0["type"] == "orchestrator_chat" && $0["message"]?["sender_type"] == "orchestrator" }
        #expect(saved.compactMap { $0["message"]?["message"]?.stringValue } == replies)
        for client in [first, second] {
            let chunks = client.events.filter { $0["type"] == "chat_stream" && $0["is_complete"] == false }.compactMap { $0["chunk"]?.stringValue }
            #expect(chunks.joined() == replies.joined(), "every chunk reached both")
        }
    }
}
