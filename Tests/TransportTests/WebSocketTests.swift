import Foundation
import OrchTesting
import PluginAPI
import Testing

/// Chat over the WebSocket: the original's frames, real token chunks, and resume.
@Suite(.serialized) struct WebSocketTests {
    func withHost(_ options: [String: JSONValue] = [:], maxMessageBytes: Int = 100_000, _ body: (TestHost) async throws -> Void) async throws {
        try await TestHost.with(options, maxMessageBytes: maxMessageBytes, body)
    }

    /// The frames of one turn, as the original sends them, then the chunks must add up to the saved reply.
    func expectTurn(_ events: [JSONValue], host: TestHost, sourceLocation: SourceLocation = #_sourceLocation) {
        let types = events.map { $0["type"]?.stringValue ?? "?" }
        let chunks = host.replyChunks.map { _ in "chat_stream" }
        #expect(types == ["orchestrator_chat", "chat_typing"] + chunks + ["orchestrator_chat", "chat_typing", "chat_stream", "orchestrator_updated"],
                sourceLocation: sourceLocation)
        let seqs = events.compactMap { $0["seq"]?.intValue }
        let first = seqs.first ?? 0
        #expect(seqs == Array(first..<(first + Int64(events.count))), "seq must rise by one: \(seqs)", sourceLocation: sourceLocation)
        let streamed = events.filter { $0["type"] == .string("chat_stream") && $0["is_complete"] == .bool(false) }.compactMap { $0["chunk"]?.stringValue }
        let persisted = host.chatLog.last?["message"]?.stringValue
        #expect(streamed.joined() == persisted, sourceLocation: sourceLocation)
        #expect(events.last(where: { $0["type"] == .string("chat_stream") })?["is_complete"] == .bool(true), sourceLocation: sourceLocation)
    }

    @Test func chatOverChatMessage() async throws {
        try await withHost { host in
            let socket = try await TestSocket.connect(host.webSocketURL)
            let hello = socket.messages[0]
            #expect(hello["client_id"]?.stringValue?.hasPrefix("client_") == true)
            #expect(hello["message"] == .string("Connected to Orchestrator Backend"))
            socket.send(.object(["type": .string("chat_message"), "message": .string("hi there"),
                                 "orchestrator_agent_id": .string(host.orchestratorID), "request_id": .string("r1")]))
            let ack = await socket.waitFor { $0["type"] == .string("ack") }
            #expect(ack?["in_reply_to"] == .string("chat_message"))
            #expect(ack?["request_id"] == .string("r1"))
            #expect(ack?["status"] == .string("accepted"))
            #expect(await socket.waitFor { $0["type"] == .string("orchestrator_updated") } != nil)
            expectTurn(socket.events, host: host)
            #expect(socket.events.first?["message"]?["message"] == .string("hi there"))
            socket.close()
        }
    }

    @Test func chatOverSendChatStreamsToEverySocket() async throws {
        try await withHost { host in
            let first = try await TestSocket.connect(host.webSocketURL)
            let second = try await TestSocket.connect(host.webSocketURL)
            let accepted = try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"over http","orchestrator_agent_id":"\#(host.orchestratorID)"}"#)
            #expect(accepted.status == 202)
            for socket in [first, second] {
                #expect(await socket.waitFor { $0["type"] == .string("orchestrator_updated") } != nil)
                expectTurn(socket.events, host: host)
                socket.close()
            }
        }
    }

    @Test func badChatMessagesGetSpecificErrors() async throws {
        try await withHost(maxMessageBytes: 16) { host in
            let socket = try await TestSocket.connect(host.webSocketURL)
            let id = host.orchestratorID
            let cases: [(String, String, String)] = [
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(id)","message":""}"#, "empty_message", "message is empty; type something to send"),
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(id)","message":"12345678901234567"}"#, "message_too_large",
                 "message is 17 bytes; the limit is 16 bytes ([host] max_message_bytes)"),
                (#"{"type":"chat_message","orchestrator_agent_id":"\#(UUID().uuidString)","message":"hi"}"#, "unknown_orchestrator", ""),
                (#"{"type":"interrupt"}"#, "invalid_request", #"missing field "orchestrator_agent_id""#),
                (#"{"type":"resume","orchestrator_agent_id":"\#(id)","last_seq":-1}"#, "invalid_request",
                 "last_seq must be between 0 and 9223372036854775807, got -1"),
                (#"{"type":"teleport"}"#, "unknown_type", #"unknown message type "teleport"; send one of chat_message, interrupt, resume, ping"#),
                (#"{"message":"no type"}"#, "invalid_request", #"missing field "type"; send one of chat_message, interrupt, resume, ping"#),
                ("hello?", "invalid_json", #"a frame must be a JSON object with a "type", e.g. {"type":"ping"}"#),
            ]
            for (index, (frame, code, message)) in cases.enumerated() {
                socket.send(frame)
                var errors: [JSONValue] { socket.messages.filter { $0["type"] == .string("error") } }
                #expect(await eventually { errors.count > index }, "no error for \(frame)")
                guard errors.count > index else { continue }
                #expect(errors[index]["code"] == .string(code), "\(frame)")
                if code != "unknown_orchestrator" { #expect(errors[index]["message"] == .string(message), "\(frame)") }
            }
            socket.send(#"{"type":"ping","request_id":9}"#)
            let pong = await socket.waitFor { $0["type"] == .string("pong") }
            #expect(pong?["request_id"] == .int(9))
            socket.close()
        }
    }

    /// A client drops mid-stream, misses chunks, reconnects and resumes: every chunk exactly once, in order.
    @Test func resumeAfterReconnectYieldsExactlyTheMissedChunks() async throws {
        try await withHost { host in
            let message = UUID().uuidString.lowercased()
            let text = (0..<60).map { "tok\($0) " }
            let first = try await TestSocket.connect(host.webSocketURL)
            for chunk in text[0..<20] { host.publishChunk(chunk, messageID: message) }
            #expect(await eventually { first.events.count == 20 })
            first.close()
            #expect(await first.waitUntilClosed())
            let lastSeen = first.events.compactMap { $0["seq"]?.intValue }.max() ?? 0
            for chunk in text[20..<40] { host.publishChunk(chunk, messageID: message) }   // missed while away

            // Reconnect while the stream goes on: chunks keep coming before and during the resume.
            let second = try await TestSocket.connect(host.webSocketURL)
            let streaming = Task { for chunk in text[40..<60] { host.publishChunk(chunk, messageID: message) } }
            second.send(.object(["type": .string("resume"), "orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(lastSeen)]))
            await streaming.value
            #expect(await eventually { Set(second.events.compactMap { $0["seq"]?.intValue }).count >= 40 })
            let resumed = await second.waitFor { $0["type"] == .string("resumed") }
            #expect(resumed?["orchestrator_agent_id"] == .string(host.orchestratorID))

            let seen = first.events + second.events
            let seqs = seen.compactMap { $0["seq"]?.intValue }
            #expect(seqs.count == Set(seqs).count, "a chunk arrived twice: \(seqs)")
            #expect(Set(seqs) == Set(1...60), "gap: \(Set(1...60).subtracting(seqs).sorted())")
            let ordered = seen.sorted { ($0["seq"]?.intValue ?? 0) < ($1["seq"]?.intValue ?? 0) }
            #expect(ordered.compactMap { $0["chunk"]?.stringValue }.joined() == text.joined())
            second.close()
        }
    }

    /// Resume sent as the first frame, before the stream moves on: the missed chunks arrive in order, before live ones.
    @Test func resumeReplaysInOrder() async throws {
        try await withHost { host in
            let message = UUID().uuidString.lowercased()
            for index in 0..<10 { host.publishChunk("c\(index)", messageID: message) }
            let socket = try await TestSocket.connect(host.webSocketURL)
            socket.send(.object(["type": .string("resume"), "orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(4)]))
            #expect(await socket.waitFor { $0["type"] == .string("resumed") }?["replayed"] == .int(6))
            host.publishChunk("c10", messageID: message)
            #expect(await eventually { socket.events.count == 7 })
            #expect(socket.events.compactMap { $0["seq"]?.intValue } == Array(5...11))
            #expect(socket.messages.compactMap { $0["type"]?.stringValue }.filter { $0 != "chat_stream" } == ["connection_established", "resumed"])
            socket.close()
        }
    }

    @Test func resumeBeyondTheWindowAsksForAReload() async throws {
        try await withHost { host in
            let message = UUID().uuidString.lowercased()
            for index in 0..<100 { host.publishChunk("c\(index)", messageID: message) }   // the test window keeps 64
            let socket = try await TestSocket.connect(host.webSocketURL)
            socket.send(.object(["type": .string("resume"), "orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(3)]))
            let reload = await socket.waitFor { $0["type"] == .string("reload_required") }
            #expect(reload?["last_seq"] == .int(100))
            #expect(reload?["message"] == .string("the events you missed are no longer kept; reload history with /load_chat, then continue from last_seq"))
            socket.close()
        }
    }
}
