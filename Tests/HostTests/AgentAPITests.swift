import Foundation
import OrchTesting
import PluginAPI
import Testing

/// People drive the team over HTTP as the orchestrator does with its tools: the agent
/// routes of the WebSocketTransport on a real `orch serve` (the C test backend answers
/// every command), with curl as the client.
@Suite struct AgentAPITests {
    struct Response {
        var status: Int
        var json: JSONValue
        var headers: String
    }

    /// One request with curl; the body is JSON.
    static func http(_ address: String, _ method: String, _ path: String, _ body: String? = nil) throws -> Response {
        let directory = try Paths.temporaryDirectory()
        let headers = directory.appendingPathComponent("headers").path, output = directory.appendingPathComponent("body").path
        var arguments = ["curl", "-s", "-X", method, "-D", headers, "-o", output, "-w", "%{http_code}", "http://\(address)\(path)"]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try run("/usr/bin/env", arguments)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return Response(status: Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
                        json: (try? JSON.decode(JSONValue.self, from: Data(text.utf8))) ?? .null,
                        headers: (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: BothTransportsTests.webSocketTransport), "needs the WebSocketTransport built"))
    func aPersonCreatesCommandsReadsAndDeletesAnAgentOverHTTP() async throws {
        let host = try await UnixHost.start(transports: BothTransportsTests.webSocketTable)
        let address = host.tcpAddress
        let created = try Self.http(address, "POST", "/agents", #"{"name":"helper","system_prompt":"You help."}"#)
        #expect(created.status == 201 && created.json["agent"]?["name"] == "helper", "\(created)")
        let id = try #require(created.json["agent"]?["id"]?.stringValue)
        let listed = try Self.http(address, "GET", "/list_agents")
        #expect(listed.status == 200 && elements(listed.json["agents"]).map { $0["id"] } == [.string(id)])
        #expect(try Self.http(address, "GET", "/agents/\(id)").json["agent"]?["name"] == "helper")

        let command = try Self.http(address, "POST", "/agents/\(id)/command", #"{"command":"tools for the agent"}"#)
        #expect(command.status == 202 && command.json["status"] == "accepted" && command.json["position"] == 0, "\(command)")
        let logs = try await eventuallyValue(timeout: .seconds(20)) { () async throws -> [JSONValue]? in
            let page = elements(try Self.http(address, "GET", "/agents/\(id)/logs").json["logs"])
            return page.contains { $0["event_type"] == "text" } ? page : nil
        } ?? []
        #expect(logs.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(max(1, logs.count))), "\(logs)")
        let second = try Self.http(address, "GET", "/agents/\(id)/logs?since_seq=1&limit=1")
        #expect(elements(second.json["logs"]).map { $0["seq"] } == [2] && second.json["has_more"] == true, "\(second)")
        // The card counts the whole log, whatever page a console loaded.
        let card = try #require(try Self.http(address, "GET", "/agents/\(id)").json["agent"])
        let texts = Int64(logs.filter { $0["event_type"] == "text" }.count)
        #expect(card["counts"]?["responses"]?.intValue == texts && card["counts"]?["hooks"] != nil, "\(card)")
        #expect(card["last_seq"]?.intValue ?? 0 >= Int64(logs.count) && card["last_command"] == "tools for the agent", "\(card)")
        #expect(card["created_at"]?.stringValue?.isEmpty == false)
        let history = try Self.http(address, "POST", "/load_chat", #"{"orchestrator_agent_id":"\#(host.orchestratorID)"}"#)
        let rows = elements(history.json["messages"])
        #expect(rows.map { "\($0["sender_type"]?.stringValue ?? "")→\($0["receiver_type"]?.stringValue ?? "")" } == ["user→agent", "agent→orchestrator"],
                "a person's command is the user's, and its result is not answered by an orchestrator turn: \(rows)")

        // Mistakes: each a status and a code that says what was wrong.
        let cases: [(String, String, String?, Int, String)] = [
            ("POST", "/agents/not-an-id/command", #"{"command":"x"}"#, 400, "invalid_uuid"),
            ("GET", "/agents/01a23d3d-9974-71f8-a366-80f6e09222d8", nil, 404, "unknown_agent"),
            ("POST", "/agents/\(id)/command", #"{"command":"  "}"#, 400, "empty_message"),
            ("POST", "/agents/\(id)/command", #"{"command":"x","if_busy":"shove"}"#, 400, "invalid_if_busy"),
            ("GET", "/agents/\(id)/logs?limit=0", nil, 400, "invalid_request"),
            ("POST", "/agents", #"{"name":"helper","system_prompt":"again"}"#, 409, "duplicate_agent_name"),
            ("POST", "/agents", #"{"name":"mute"}"#, 400, "system_prompt_required"),
            ("PUT", "/agents/\(id)", "{}", 405, "method_not_allowed"),
        ]
        for (method, path, body, status, code) in cases {
            let response = try Self.http(address, method, path, body)
            #expect(response.status == status && response.json["error"]?["code"] == .string(code), "\(method) \(path): \(response)")
        }
        #expect(try Self.http(address, "PUT", "/agents/\(id)", "{}").headers.lowercased().contains("allow: get, delete"))
        #expect(try Self.http(address, "POST", "/agents/\(id)/interrupt").json["interrupted"] == false)

        let deleted = try Self.http(address, "DELETE", "/agents/\(id)")
        #expect(deleted.status == 200 && deleted.json["agent"]?["status"] == "archived", "\(deleted)")
        #expect(try Self.http(address, "GET", "/agents/\(id)").status == 404)
        #expect(await host.stop() == 0)
    }
}
