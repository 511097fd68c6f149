import Foundation
import OrchTesting
import PluginAPI
import StoreModel
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A history page travels from the store to the client as bytes (the host adds
/// turn count and orchestrator around the store's messages; the HTTP transport
/// adds `status`): the JSON is exactly what decoding and encoding it again, as
/// the host and transport did before, would give — same fields, order and
/// values — over HTTP and over the Unix socket.
@Suite struct HistoryBytesTests {
    @Test func aThousandMessagesArriveAsAnEncoderWouldHaveWrittenThem() async throws {
        let directory = try Paths.temporaryDirectory()
        let socket = directory.appendingPathComponent("orch.sock").path
        let host = try await TestRuntime.start(store: try sqliteStore(), transports: BothTransportsTests.webSocketTable + """

            [[transports]]
            plugin = "\(try UnixTransport.library())"
            [transports.options]
            path = "\(socket)"
            """)
        let id = host.orchestratorID
        var random = SeededRandom(seed: 1_000)
        var texts: [String] = []
        for index in 0..<1_000 {
            let text = Self.awkwardText(&random, index)
            texts.append(text)
            let metadata: JSONValue = ["turn_id": .string("t\(index / 2)"), "n": .int(Int64(index)), "nested": ["é": [true, .null, "</x>"], "b": "日本"]]
            _ = try await host.store.insertChat(NewChatMessage(orchestratorID: id, sender: index % 2 == 0 ? .user : .orchestrator,
                                                              receiver: index % 2 == 0 ? .orchestrator : .user, message: text, metadata: metadata))
        }
        let request = try JSON.encode(["orchestrator_agent_id": JSONValue.string(id), "limit": 1_000])

        let address = try #require(host.runtime.listening.first { $0.hasPrefix("127.0.0.1:") })
        var post = URLRequest(url: try #require(URL(string: "http://\(address)/load_chat")))
        (post.httpMethod, post.httpBody) = ("POST", request)
        post.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (body, response) = try await URLSession.shared.data(for: post)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: body.prefix(300), as: UTF8.self))")
        let decoded = try JSON.decode(JSONValue.self, from: body)
        #expect(body == (try JSON.encode(decoded)), "the HTTP body is byte for byte what encoding its value gives")
        #expect(elements(decoded["messages"]).map { $0["message"]?.stringValue ?? "" } == texts)
        #expect(decoded["status"] == "success" && decoded["turn_count"] == 1_000 && decoded["has_more"] == false)
        #expect(decoded["orchestrator"]?["id"] == .string(id))

        let client = try LineClient(socket)
        #expect(await client.next("connection_established") != nil)
        let line = try await client.ask(["type": "load_chat", "orchestrator_agent_id": .string(id), "limit": 1_000], reply: "chat_history")
        #expect(elements(line?["messages"]).map { $0["message"]?.stringValue ?? "" } == texts)
        let raw = try #require(client.rawLines.first { JSONMembers($0)?.value("type").map { Data($0) } == Data(#""chat_history""#.utf8) })
        let messages = try #require(JSONMembers(raw)?.value("messages"))
        #expect(Data(messages) == (try JSON.encode(decoded["messages"] ?? .null)), "the Unix socket's messages are the same bytes")
        client.close()
        await host.stop()
    }

    /// Text a store must keep and a client must get back exactly: quotes, backslashes, line ends,
    /// control characters, NUL, slashes, markup, accents, CJK, emoji and combining marks.
    static func awkwardText(_ random: inout SeededRandom, _ index: Int) -> String {
        let pieces = ["plain words", "\"quoted\"", "back\\slash", "line\nbreak", "tab\there", "cr\r", "nul\u{0}", "bell\u{7}", "us\u{1F}",
                      "a/b", "</script>", "naïve café", "日本語", "😀👍🏽", "e\u{301}", "{\"not\":\"json\"}", "  spaced  "]
        return "#\(index) " + (0..<4).map { _ in random.pick(pieces) }.joined(separator: " ")
    }
}
