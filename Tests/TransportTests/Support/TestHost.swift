import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI

/// A host for the transport under test: the real EventBus and HostRequests, with the
/// documented operations served by canned, contract-shaped replies, and the real
/// libWebSocketTransport.so loaded through the real PluginLoader.
/// TODO(after merge): end-to-end tests through the real turn engine and stores.
final class TestHost: @unchecked Sendable {
    let bus = EventBus(replayWindow: 64)
    let requests = HostRequests()
    let orchestratorID = UUID().uuidString.lowercased()
    let staticDir: URL
    /// What the transport logged (e.g. the console URL it prints at start).
    let logs = LogCapture()
    private(set) var transport: TransportClient!
    private(set) var port = 0
    private let lock = NSLock()
    private var chat: [JSONValue] = []
    private var turnRunning = false
    private var down = false
    /// The host's `[host] max_message_bytes`, which the transport reads from `get_orchestrator` when it starts.
    private(set) var maxMessageBytes = 100_000
    /// The text of each reply, split into the chunks it streams as.
    var replyChunks: [String] = ["Hello", ", ", "wor", "ld", "! ", "✓ ", "naïve ", "日本", "語"]

    var storeDown: Bool {
        get { lock.withLock { down } }
        set { lock.withLock { down = newValue } }
    }

    var chatLog: [JSONValue] { lock.withLock { chat } }

    static func start(_ options: [String: JSONValue] = [:], maxMessageBytes: Int = 100_000) async throws -> TestHost {
        let host = try TestHost()
        host.maxMessageBytes = maxMessageBytes
        try await host.load(options)
        return host
    }

    /// Starts a host, runs `body`, and stops the host whether or not `body` threw.
    static func with(_ options: [String: JSONValue] = [:], maxMessageBytes: Int = 100_000, _ body: (TestHost) async throws -> Void) async throws {
        let host = try await start(options, maxMessageBytes: maxMessageBytes)
        do { try await body(host) } catch { await host.stop(); throw error }
        await host.stop()
    }

    private init() throws {
        staticDir = try Paths.temporaryDirectory()
        try FileManager.default.createDirectory(at: staticDir.appendingPathComponent("assets"), withIntermediateDirectories: true)
        try "<!doctype html><title>Orch</title><div id=app></div>".write(to: staticDir.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "console.log('orch')".write(to: staticDir.appendingPathComponent("assets/index-Bk3a9xQz.js"), atomically: true, encoding: .utf8)
        try "body{margin:0}".write(to: staticDir.appendingPathComponent("assets/style.css"), atomically: true, encoding: .utf8)
        registerOperations()
    }

    private func load(_ options: [String: JSONValue]) async throws {
        var config: [String: JSONValue] = ["listen": .string("127.0.0.1:0"), "static_dir": .string(staticDir.path)]
        // Tests that are not about the token turn it off explicitly (loopback only); the others configure it.
        if !options.keys.contains(where: { ["auth", "auth_token", "token_file"].contains($0) }) { config["auth"] = .string("none") }
        config.merge(options) { $1 }
        let loader = Self.loader(logger: logs.logger)
        let library = try loader.library(Paths.plugin("WebSocketTransport"), relativeTo: "/")
        transport = try loader.makeTransport(library, .init(label: "WebSocketTransport", config: try JSON.encode(config), requests: requests, events: Recorder()))
        bus.attach(transport)
        let address = try json(try await transport.start())["listening"]?.stringValue ?? ""
        port = Int(address.split(separator: ":").last ?? "") ?? 0
    }

    static func loader(logger: Logger = Logger(label: "transport-test")) -> PluginLoader {
        PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: logger)
    }

    func stop() async {
        try? await transport.stop()
        bus.detachAll()
        await transport.ref.destroy()
        try? FileManager.default.removeItem(at: staticDir)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var webSocketURL: String { "ws://127.0.0.1:\(port)/ws" }

    /// Publishes a wire message of this orchestrator, as the turn engine does; returns its seq.
    @discardableResult
    func publish(_ type: WireMessageType, _ fields: [String: JSONValue]) -> UInt64 {
        bus.publish(Event(kind: .wire, orchestratorID: orchestratorID, json: WireMessages.make(type, fields)))
    }

    @discardableResult
    func publishChunk(_ chunk: String, messageID: String, complete: Bool = false) -> UInt64 {
        publish(.chatStream, ["orchestrator_agent_id": .string(orchestratorID), "message_id": .string(messageID),
                                "chunk": .string(chunk), "is_complete": .bool(complete)])
    }

    // MARK: The documented host operations, canned

    private struct Target: Decodable { var orchestrator_agent_id: String }

    private func checkKnown(_ request: Request) throws -> Target {
        let target = try request.decode(Target.self)
        guard UUID(uuidString: target.orchestrator_agent_id) != nil else {
            throw PluginError.invalid("invalid_uuid", "orchestrator_agent_id is not a UUID")
        }
        guard target.orchestrator_agent_id == orchestratorID else {
            throw PluginError.notFound("unknown_orchestrator", "no orchestrator \(target.orchestrator_agent_id)")
        }
        if storeDown { throw PluginError.unavailable("store_unavailable", "the store is not reachable") }
        return target
    }

    private var orchestrator: JSONValue {
        .object(["id": .string(orchestratorID), "session_id": .null, "status": .string("idle"), "input_tokens": .int(10),
                 "output_tokens": .int(20), "total_cost": .double(0.0015), "archived": .bool(false), "metadata": .object([:])])
    }

    private func registerOperations() {
        requests.register("health") { [unowned self] _, _ in
            let down = storeDown
            return try JSON.encode([
                "status": JSONValue.string(down ? "degraded" : "ok"), "host_version": .string("test"), "uptime_s": .double(1),
                "store": .object(down ? ["ok": .bool(false), "error": .string("store_unavailable")] : ["ok": .bool(true)]),
                "backend": .object(["ok": .bool(true)]), "plugins": .array([]),
            ])
        }
        requests.register("get_orchestrator") { [unowned self] _, _ in
            if storeDown { throw PluginError.unavailable("store_unavailable", "the store is not reachable") }
            return try JSON.encode(["orchestrator": orchestrator, "max_message_bytes": .int(Int64(maxMessageBytes))])
        }
        requests.register("load_chat") { [unowned self] request, _ in
            _ = try checkKnown(request)
            let limit = Int(try json(request.json)["limit"]?.intValue ?? 50)
            let messages = Array(chatLog.suffix(limit))
            return try JSON.encode(["messages": JSONValue.array(messages), "turn_count": .int(Int64(chatLog.count)),
                                    "has_more": .bool(chatLog.count > limit), "orchestrator": orchestrator])
        }
        requests.register("send_chat") { [unowned self] request, _ in
            struct Send: Decodable { var message: String; var wait: Bool? }
            _ = try checkKnown(request)
            let send = try request.decode(Send.self)
            let queued = lock.withLock { defer { turnRunning = true }; return turnRunning }
            let userID = UUID().uuidString.lowercased(), turnID = UUID().uuidString.lowercased()
            if send.wait == true {
                let reply = runTurn(send.message, userID: userID)
                return try JSON.encode([
                    "status": JSONValue.string("success"), "response": .string(reply), "session_id": .string("session-1"),
                    "usage": .object(["input_tokens": .int(10), "output_tokens": .int(20)]), "cost": .double(0.0015),
                    "message_id": .string(userID), "turn_id": .string(turnID),
                ])
            }
            Task { self.runTurn(send.message, userID: userID) }
            return try JSON.encode(["status": JSONValue.string("accepted"), "message_id": .string(userID), "turn_id": .string(turnID), "queued": .bool(queued)])
        }
        requests.register("interrupt") { [unowned self] request, _ in
            _ = try checkKnown(request)
            return try JSON.encode(["interrupted": JSONValue.bool(lock.withLock { turnRunning })])
        }
        requests.register("resume") { [unowned self] request, _ in
            struct Resume: Decodable { var orchestrator_agent_id: String; var last_seq: UInt64 }
            let resume = try request.decode(Resume.self)
            switch bus.replay(orchestratorID: resume.orchestrator_agent_id, after: resume.last_seq) {
            case .events(let events):
                let wire = try events.map { try JSONDecoder().decode(JSONValue.self, from: $0.json) }
                return try JSON.encode(["status": JSONValue.string("ok"), "events": .array(wire)])
            case .tooOld(_, let last):
                return try JSON.encode(["status": JSONValue.string("reload"), "last_seq": .int(Int64(last))])
            }
        }
    }

    /// One turn's frames, in the order the original sends them, with real token chunks.
    @discardableResult
    private func runTurn(_ message: String, userID: String) -> String {
        let replyID = UUID().uuidString.lowercased()
        let reply = replyChunks.joined()
        let user: JSONValue = .object(["id": .string(userID), "orchestrator_agent_id": .string(orchestratorID), "sender_type": .string("user"),
                                       "receiver_type": .string("orchestrator"), "message": .string(message)])
        lock.withLock { chat.append(user) }
        publish(.orchestratorChat, ["message": user])
        publish(.chatTyping, ["orchestrator_agent_id": .string(orchestratorID), "is_typing": .bool(true)])
        for chunk in replyChunks { publishChunk(chunk, messageID: replyID) }
        let answer: JSONValue = .object(["id": .string(replyID), "orchestrator_agent_id": .string(orchestratorID), "sender_type": .string("orchestrator"),
                                         "receiver_type": .string("user"), "message": .string(reply)])
        lock.withLock { chat.append(answer) }
        publish(.orchestratorChat, ["message": answer])
        publish(.chatTyping, ["orchestrator_agent_id": .string(orchestratorID), "is_typing": .bool(false)])
        publishChunk("", messageID: replyID, complete: true)
        publish(.orchestratorUpdated, ["orchestrator": orchestrator])
        lock.withLock { turnRunning = false }
        return reply
    }
}
