import Foundation
import OrchTesting
import PluginAPI
import Testing

/// Messages one browser sends back to back are saved and answered in the order
/// it sent them: the WebSocketTransport issues host requests in frame order and
/// the host admits each plugin's requests in the order they were issued.
@Suite struct WebSocketOrderTests {
    @Test func backToBackChatMessagesKeepTheirOrder() async throws {
        let host = try await UnixHost.start(transports: BothTransportsTests.webSocketTable)
        let browser = try WebSocketClient(host.tcpAddress)
        #expect(await browser.next("connection_established") != nil)
        let id: JSONValue = .string(host.orchestratorID)
        let messages = (1...8).map { "message \($0)" }
        for message in messages {
            try browser.send(["type": "chat_message", "orchestrator_agent_id": id, "message": .string(message)])
        }
        #expect(await browser.waitFor { $0.filter { $0["type"] == "turn_complete" }.count == messages.count })
        let users = browser.lines.filter { $0["type"] == "orchestrator_chat" && $0["message"]?["sender_type"] == "user" }
        #expect(users.compactMap { $0["message"]?["message"]?.stringValue } == messages)
        let replies = browser.lines.filter { $0["type"] == "orchestrator_chat" && $0["message"]?["sender_type"] == "orchestrator" }
        #expect(replies.compactMap { $0["message"]?["message"]?.stringValue } == messages.map { "You said: \($0)" })
        #expect(await host.stop() == 0)
    }
}
