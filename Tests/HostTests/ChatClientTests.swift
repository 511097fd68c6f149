@testable import orch
import Foundation
import OrchTesting
import PluginAPI
import Testing

/// `orch chat`'s conversation with the transport as a state machine: what it
/// sends and prints for each line, connection and key press.
@Suite struct ChatClientTests {
    static let id = ChatViewTests.orchestrator

    static func established(stream: String = "s1", lastSeq: Int64 = 0) -> ChatInput {
        .line(["type": "connection_established", "client_id": "client_1", "last_seq": .int(lastSeq), "stream_id": .string(stream)])
    }

    static let orchestratorAck: ChatInput = .line(["type": "ack", "in_reply_to": "get_orchestrator",
                                                   "orchestrator": ["id": .string(id), "input_tokens": 0, "output_tokens": 0, "total_cost": 0]])

    static func sent(_ effects: [ChatEffect]) -> [JSONValue] {
        effects.compactMap { if case .send(let message) = $0 { message } else { nil } }
    }

    static func written(_ effects: [ChatEffect]) -> String {
        effects.compactMap { if case .write(let text) = $0 { text } else { nil } }.joined()
    }

    static func userEcho(_ text: String, turn: String, seq: Int64) -> ChatInput {
        .line(["seq": .int(seq), "type": "orchestrator_chat",
               "message": ["id": .string("u-\(turn)"), "message": .string(text), "sender_type": "user", "metadata": ["turn_id": .string(turn)]]])
    }

    static func typing(_ on: Bool, seq: Int64) -> ChatInput { .line(["seq": .int(seq), "type": "chat_typing", "is_typing": .bool(on)]) }

    static func chunk(_ text: String, id: String = "r1", seq: Int64) -> ChatInput { .line(ChatViewTests.chunk(text, id: id, seq: seq)) }

    static func complete(_ turn: String, status: String = "success", seq: Int64) -> ChatInput {
        .line(["seq": .int(seq), "type": "turn_complete", "turn_id": .string(turn), "status": .string(status)])
    }

    /// One input, for use inside #expect (which cannot call a mutating method).
    func handle(_ client: inout ChatClient, _ input: ChatInput) -> [ChatEffect] { client.handle(input) }

    /// A client that has connected and loaded its (empty) history.
    static func connected(hints: Bool = false) -> ChatClient {
        var client = ChatClient(mode: .interactive(historyLimit: 20, hints: hints), style: .plain)
        _ = client.handle(.connected)
        _ = client.handle(established())
        _ = client.handle(orchestratorAck)
        _ = client.handle(.line(["type": "chat_history", "messages": [], "has_more": false]))
        return client
    }

    @Test func startingAsksForTheOrchestratorThenTheHistory() {
        var client = ChatClient(mode: .interactive(historyLimit: 5, hints: true), style: .plain)
        #expect(handle(&client, .connected).isEmpty)
        #expect(handle(&client, .typed("early")).isEmpty, "typed before the connection is ready: kept")
        #expect(Self.sent(handle(&client, Self.established(lastSeq: 41))) == [["type": "get_orchestrator"]])
        #expect(client.lastSeq == 41)
        #expect(Self.sent(handle(&client, Self.orchestratorAck)) == [["type": "load_chat", "orchestrator_agent_id": .string(Self.id), "limit": 5]])
        let shown = client.handle(.line(["type": "chat_history", "has_more": false,
                                         "messages": [["id": "a", "message": "hi", "sender_type": "user"]]]))
        #expect(Self.written(shown) == "── history: 1 message ──\n› hi\n──\nType a message and press Enter. Ctrl+C interrupts a turn, twice quits; Ctrl+D quits.\n")
        #expect(Self.sent(shown) == [["type": "chat_message", "orchestrator_agent_id": .string(Self.id), "message": "early"]])
        #expect(client.ready)
    }

    @Test func withoutHistoryTheChatIsReadyAtOnce() {
        var none = ChatClient(mode: .interactive(historyLimit: 0, hints: false), style: .plain)
        _ = none.handle(.connected)
        _ = none.handle(.typed("first"))
        _ = none.handle(Self.established())
        #expect(Self.sent(handle(&none, Self.orchestratorAck)) == [["type": "chat_message", "orchestrator_agent_id": .string(Self.id), "message": "first"]])
        var failed = ChatClient(mode: .interactive(historyLimit: 5, hints: false), style: .plain)
        _ = failed.handle(.connected)
        _ = failed.handle(Self.established())
        _ = failed.handle(Self.orchestratorAck)
        _ = failed.handle(.typed("still works"))
        let effects = handle(&failed, .line(["type": "error", "in_reply_to": "load_chat", "code": "store_unavailable", "message": "the store is down"]))
        #expect(Self.written(effects) == "error: the store is down [store_unavailable]\n")
        #expect(Self.sent(effects) == [["type": "chat_message", "orchestrator_agent_id": .string(Self.id), "message": "still works"]])
    }

    @Test func aTurnStreamsAndTheOwnMessageIsNotEchoed() {
        var client = Self.connected()
        #expect(Self.sent(handle(&client, .typed("hello\n"))) == [["type": "chat_message", "orchestrator_agent_id": .string(Self.id), "message": "hello"]])
        #expect(handle(&client, .typed("   ")).isEmpty)
        #expect(handle(&client, Self.userEcho("hello", turn: "t1", seq: 42)).isEmpty)
        #expect(client.ours == ["t1"])
        _ = client.handle(Self.typing(true, seq: 43))
        #expect(Self.written(handle(&client, Self.chunk("Hi", seq: 44))) == "Hi")
        #expect(Self.written(handle(&client, Self.chunk(" there", seq: 45))) == " there")
        #expect(Self.written(handle(&client, .line(ChatViewTests.complete(id: "r1")))) == "\n")
        #expect(Self.written(handle(&client, .line(ChatViewTests.updated(input: 3, output: 4, cost: 0.0001)))) == "· 3 in / 4 out tokens · $0.0001 this turn · $0.0001 total\n")
        #expect(handle(&client, Self.complete("t1", seq: 48)).isEmpty)
        #expect(client.ours.isEmpty)
        #expect(client.lastSeq == 48)
    }

    @Test func endOfInputQuitsOnceOwnTurnsHaveFinished() {
        var client = Self.connected()
        _ = client.handle(.typed("last words"))
        #expect(handle(&client, .endOfInput).isEmpty, "the reply is still to come")
        _ = client.handle(Self.userEcho("last words", turn: "t9", seq: 1))
        _ = client.handle(Self.typing(true, seq: 2))
        #expect(handle(&client, Self.complete("t9", seq: 3)) == [.exit(0)])
        var idle = Self.connected()
        #expect(handle(&idle, .endOfInput) == [.exit(0)])
    }

    @Test func ctrlCInterruptsARunningTurnAndTwiceQuits() {
        var client = Self.connected()
        let now = ContinuousClock.now
        #expect(Self.written(handle(&client, .interruptKey(now))) == "\n(nothing is running; Ctrl+C again to quit)\n")
        _ = client.handle(Self.userEcho("x", turn: "t1", seq: 1))
        _ = client.handle(Self.typing(true, seq: 2))
        let later = now + .seconds(5)
        let effects = client.handle(.interruptKey(later))
        #expect(Self.sent(effects) == [["type": "interrupt", "orchestrator_agent_id": .string(Self.id)]])
        #expect(Self.written(effects) == "\n(interrupting; Ctrl+C again to quit)\n")
        #expect(handle(&client, .interruptKey(later + .milliseconds(500))) == [.write("\n"), .exit(130)])
    }

    @Test func aReconnectToTheSameHostResumesFromTheLastSeq() {
        var client = Self.connected()
        _ = client.handle(Self.chunk("partial", seq: 57))
        #expect(handle(&client, .disconnected) == [.write("(connection lost; reconnecting…)\n"), .reconnect])
        #expect(!client.ready)
        _ = client.handle(.typed("while away"))
        _ = client.handle(.connected)
        _ = client.handle(Self.established(stream: "s1", lastSeq: 60))
        let effects = client.handle(Self.orchestratorAck)
        #expect(Self.written(effects) == "(reconnected)\n")
        #expect(Self.sent(effects) == [["type": "resume", "orchestrator_agent_id": .string(Self.id), "last_seq": 57],
                                       ["type": "chat_message", "orchestrator_agent_id": .string(Self.id), "message": "while away"]])
        #expect(Self.written(handle(&client, Self.chunk(" text", seq: 58))) == " text", "the replay continues the reply")
    }

    @Test func aReconnectToARestartedHostCatchesUpFromTheHistory() {
        var client = Self.connected()
        _ = client.handle(.line(ChatViewTests.chat("before", id: "b1")))
        _ = client.handle(.disconnected)
        _ = client.handle(.connected)
        _ = client.handle(Self.established(stream: "s2", lastSeq: 3))
        #expect(client.lastSeq == 3, "a new stream numbers its events afresh")
        let effects = client.handle(Self.orchestratorAck)
        #expect(Self.written(effects) == "(reconnected to a restarted orch; catching up from the history)\n")
        #expect(Self.sent(effects) == [["type": "load_chat", "orchestrator_agent_id": .string(Self.id), "limit": 20]])
        let history = client.handle(.line(["type": "chat_history", "has_more": false, "messages": [
            ["id": "b1", "message": "before", "sender_type": "orchestrator"],
            ["id": "n1", "message": "missed", "sender_type": "orchestrator"],
        ]]))
        #expect(Self.written(history) == "── history: 1 message ──\nmissed\n──\n")
        #expect(Self.sent(handle(&client, .line(["type": "reload_required", "last_seq": 90]))) == [
            ["type": "load_chat", "orchestrator_agent_id": .string(Self.id), "limit": 20]])
        #expect(client.lastSeq == 90)
    }

    @Test func onceSendsTheMessageAndPrintsOnlyItsReply() {
        var client = ChatClient(mode: .once(message: "What is 2+2?"), style: .plain)
        _ = client.handle(.connected)
        _ = client.handle(Self.established(lastSeq: 10))
        #expect(Self.sent(handle(&client, Self.orchestratorAck)) == [
            ["type": "chat_message", "orchestrator_agent_id": .string(Self.id), "message": "What is 2+2?"]])
        // Someone else's turn is running first; none of it is printed.
        #expect(handle(&client, Self.typing(true, seq: 11)).isEmpty)
        #expect(handle(&client, Self.chunk("not mine", id: "other", seq: 12)).isEmpty)
        #expect(handle(&client, Self.userEcho("What is 2+2?", turn: "mine", seq: 13)).isEmpty)
        #expect(handle(&client, Self.complete("theirs", seq: 14)).isEmpty)
        #expect(handle(&client, .line(["type": "ack", "in_reply_to": "chat_message", "turn_id": "mine", "queued": true])).isEmpty)
        _ = client.handle(Self.typing(true, seq: 15))
        #expect(Self.written(handle(&client, Self.chunk("4", id: "b1", seq: 16))) == "4")
        #expect(handle(&client, .line(ChatViewTests.complete(id: "b1"))).isEmpty)
        #expect(Self.written(handle(&client, Self.chunk("Anything else?", id: "b2", seq: 18))) == "\n\nAnything else?")
        #expect(handle(&client, .line(ChatViewTests.updated(input: 3, output: 4, cost: 0.01))).isEmpty, "only the reply")
        #expect(handle(&client, Self.complete("mine", seq: 20)) == [.write("\n"), .exit(0)])
    }

    @Test func onceReportsFailuresOnStandardErrorWithAnExitStatus() {
        func started() -> ChatClient {
            var client = ChatClient(mode: .once(message: "hi"), style: .plain)
            _ = client.handle(.connected)
            _ = client.handle(Self.established())
            _ = client.handle(Self.orchestratorAck)
            _ = client.handle(Self.userEcho("hi", turn: "t1", seq: 1))
            _ = client.handle(Self.typing(true, seq: 2))
            return client
        }
        var failed = started()
        _ = failed.handle(.line(["seq": 3, "type": "error", "turn_id": "t1", "message": "the CLI exited", "error_class": "cli_exited"]))
        #expect(handle(&failed, Self.complete("t1", status: "failed", seq: 4)) == [.warn("orch: the CLI exited [cli_exited]"), .exit(1)])
        var interrupted = started()
        _ = interrupted.handle(Self.chunk("par", seq: 3))
        #expect(handle(&interrupted, Self.complete("t1", status: "interrupted", seq: 4)) == [.write("\n"), .warn("orch: the turn was interrupted"), .exit(130)])
        var refused = ChatClient(mode: .once(message: String(repeating: "x", count: 10)), style: .plain)
        _ = refused.handle(.connected)
        #expect(handle(&refused, .line(["type": "error", "in_reply_to": "chat_message", "code": "message_too_large", "message": "message is too big"]))
                == [.warn("orch: message is too big [message_too_large]"), .exit(1)])
        var lost = started()
        #expect(handle(&lost, .disconnected) == [.warn("orch: lost the connection before the reply was complete; run the command again"), .exit(1)])
    }

    @Test func theSocketComesFromTheConfigsUnixTransport() throws {
        let directory = try Paths.temporaryDirectory()
        let config = directory.appendingPathComponent("orch.toml").path
        let table = """
        [store]
        plugin = "SQLiteStore"
        [backend]
        plugin = "SwiftEchoPlugin"
        [[transports]]
        plugin = "NIOLineTransport"

        """
        try (table + "[[transports]]\nplugin = \"UnixSocketTransport\"\n[transports.options]\npath = \"run/chat.sock\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try ChatSocketPath.resolve(socket: nil, config: config, configExplicit: true) == "run/chat.sock")
        #expect(try ChatSocketPath.resolve(socket: "/x.sock", config: config, configExplicit: true) == "/x.sock")
        #expect(try ChatSocketPath.resolve(socket: nil, config: "/nonexistent/orch.toml", configExplicit: false) == ".orch/orch.sock")
        #expect(try ChatSocketPath.resolve(socket: nil, config: "\(Paths.repository)/config/orch.toml", configExplicit: false) == ".orch/orch.sock",
                "the shipped config serves the Unix socket")
        try (table + "[[transports]]\nplugin = \"/opt/orch/libUnixSocketTransport.so\"\n").write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try ChatSocketPath.resolve(socket: nil, config: config, configExplicit: true) == ".orch/orch.sock")
        try table.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(throws: ChatSocketPath.Failure.noUnixTransport(file: config)) {
            try ChatSocketPath.resolve(socket: nil, config: config, configExplicit: true)
        }
        #expect(throws: ChatSocketPath.Failure.config("/nonexistent/orch.toml: cannot read the config file; pass an existing file with --config")) {
            try ChatSocketPath.resolve(socket: nil, config: "/nonexistent/orch.toml", configExplicit: true)
        }
    }
}
