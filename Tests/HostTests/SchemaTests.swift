import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The JSON Schemas in docs/schemas describe what really crosses the socket:
/// a session through the real host that produces every message type, both
/// directions captured and validated with Python's `jsonschema`.
@Suite struct SchemaTests {
    static let schemas = "\(Paths.repository)/docs/schemas"

    @Test func everyMessageOnTheWireMatchesItsSchemaAndEverySchemaIsUsed() async throws {
        let host = try await UnixHost.start(host: "replay_window = 16")
        let id: JSONValue = .string(host.orchestratorID)
        let client = try host.connect(), other = try host.connect()
        _ = try await client.ask(["type": "get_orchestrator", "request_id": "o"])
        _ = try await client.ask(["type": "health", "request_id": 1])
        _ = try await client.ask(["type": "ping"], reply: "pong")
        // A turn with thinking, a tool, its result and a retry.
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "tools please"])
        #expect(await client.waitFor { $0.contains { $0["type"] == "turn_complete" } })
        // A held turn, a message queued behind it, an interrupt.
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "wait a moment"])
        #expect(await client.waitFor { $0.filter { $0["type"] == "chat_typing" }.count == 3 })
        _ = try await other.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "queued", "wait": true], reply: "turn_queued")
        _ = try await client.ask(["type": "interrupt", "orchestrator_agent_id": id])
        #expect(await other.waitFor(timeout: .seconds(20)) { $0.contains { $0["type"] == "ack" && $0["status"] == "success" } })
        // The team: an agent created, commanded (every backend event kind again), its log read, deleted.
        let agent = try await client.ask(["type": "create_agent", "name": "helper", "system_prompt": "You help."])?["agent"]?["id"]
        _ = try await client.ask(["type": "command_agent", "agent_id": agent ?? .null, "command": "tools for the agent"])
        #expect(await client.waitFor(timeout: .seconds(20)) { $0.contains { $0["type"] == "agent_updated" } && $0.contains { $0["type"] == "agent_status_changed" && $0["status"] == "idle" && $0["previous"] == "running" } })
        _ = try await client.ask(["type": "agent_logs", "agent_id": agent ?? .null, "limit": 2])
        _ = try await client.ask(["type": "list_agents"])
        _ = try await client.ask(["type": "get_agent", "agent_id": agent ?? .null])
        _ = try await client.ask(["type": "interrupt_agent", "agent_id": agent ?? .null])
        _ = try await client.ask(["type": "delete_agent", "agent_id": agent ?? .null])
        #expect(await client.waitFor(timeout: .seconds(20)) { $0.contains { $0["type"] == "agent_deleted" } })
        // A permission question: the C backend asks before its "tool"; a person answers from the socket.
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "permission please"])
        #expect(await client.waitFor(timeout: .seconds(20)) { $0.contains { $0["type"] == "permission_request" } })
        let question = elements(try await client.ask(["type": "inbox", "limit": 10])?["requests"]).first?["id"] ?? .null
        _ = try await client.ask(["type": "answer_permission", "id": question, "decision": "allow", "scope": "once"])
        #expect(await client.waitFor(timeout: .seconds(20)) { $0.contains { $0["type"] == "permission_resolved" } })
        _ = try await client.ask(["type": "answer_permissions", "answers": [["id": question, "decision": "deny", "message": "too late"]]])
        _ = try await client.ask(["type": "permission_log", "limit": 5])
        _ = try await client.ask(["type": "load_chat", "orchestrator_agent_id": id, "limit": 3, "before": nil], reply: "chat_history")
        let last = client.events.last?["seq"]?.intValue ?? 0
        _ = try await client.ask(["type": "resume", "orchestrator_agent_id": id, "last_seq": .int(last - 2)], reply: "resumed")
        _ = try await client.ask(["type": "resume", "orchestrator_agent_id": id, "last_seq": 0], reply: "reload_required")
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": "nope", "message": "x", "request_id": "bad"], reply: "error")
        try client.sendRaw("not json\n")
        #expect(await client.waitFor { $0.filter { $0["type"] == "error" && $0["seq"] == nil }.count == 2 })
        #expect(await host.stop() == 0)

        var capture = ""
        for connection in [client, other] {
            // The request sent to provoke a host error breaks the schema on purpose.
            for message in connection.sent where message["request_id"] != "bad" { capture += try Self.entry("client-to-server", message) }
            for message in connection.lines { capture += try Self.entry("server-to-client", message) }
        }
        let file = try Paths.temporaryDirectory().appendingPathComponent("messages.jsonl").path
        try capture.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run("/usr/bin/env", ["python3", "\(Paths.repository)/Tests/Schemas/validate.py", Self.schemas, file])
        #expect(result.status == 0, "\(result.output)")
        let summary = try JSON.decode(JSONValue.self, from: Data((result.output.split(separator: "\n").last ?? "").utf8))
        #expect(summary["invalid"] == 0)
        #expect(summary["unused"] == [], "every schema is exercised: \(result.output)")
        print("schemas: \(summary["checked"]?.intValue ?? 0) captured messages validated")
    }

    @Test func theValidatorRejectsWhatBreaksTheSchemas() throws {
        let bad: [(String, JSONValue)] = [
            ("client-to-server", ["type": "chat_message", "orchestrator_agent_id": "01a215be-1f62-70c2-a3e0-75a2a4f2792c"]),
            ("client-to-server", ["type": "resume", "orchestrator_agent_id": "01a215be-1f62-70c2-a3e0-75a2a4f2792c", "last_seq": -1]),
            ("server-to-client", ["type": "chat_stream", "seq": 0, "orchestrator_agent_id": "x", "message_id": "y", "chunk": "a", "is_complete": false]),
            ("server-to-client", ["type": "turn_complete", "seq": 3, "orchestrator_agent_id": "01a215be-1f62-70c2-a3e0-75a2a4f2792c",
                                  "turn_id": "01a215be-1f62-70c2-a3e0-75a2a4f2792c", "status": "exploded"]),
            ("server-to-client", ["type": "error", "message": "no code and no seq"]),
            ("server-to-client", ["type": "what_is_this"]),
        ]
        let file = try Paths.temporaryDirectory().appendingPathComponent("bad.jsonl").path
        try bad.map { try Self.entry($0.0, $0.1) }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run("/usr/bin/env", ["python3", "\(Paths.repository)/Tests/Schemas/validate.py", Self.schemas, file])
        #expect(result.status == 1)
        for line in 1...bad.count { #expect(result.output.contains("line \(line): "), "line \(line) was not refused: \(result.output)") }
        #expect(result.output.contains("no schema for server-to-client type 'what_is_this'"))
    }

    static func entry(_ direction: String, _ message: JSONValue) throws -> String {
        String(decoding: try JSON.encode(["direction": .string(direction), "message": message] as JSONValue), as: UTF8.self) + "\n"
    }
}
