import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The permission inbox over HTTP (curl against a real `orch serve`; the C test backend asks
/// `request_permission` for a message starting with "permission"): the routes a person or a
/// script answers with, and every mistake's status and code.
@Suite struct InboxAPITests {
    static func http(_ address: String, _ method: String, _ path: String, _ body: String? = nil) throws -> AgentAPITests.Response {
        try AgentAPITests.http(address, method, path, body)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: BothTransportsTests.webSocketTransport), "needs the WebSocketTransport built"))
    func aPersonAnswersTheInboxOverHTTPAndTheAuditLogKeepsIt() async throws {
        let host = try await UnixHost.start(transports: BothTransportsTests.webSocketTable)
        let address = host.tcpAddress
        #expect(try Self.http(address, "GET", "/inbox").json["requests"] == .array([]))
        let sent = try Self.http(address, "POST", "/send_chat", #"{"orchestrator_agent_id":"\#(host.orchestratorID)","message":"permission please"}"#)
        #expect(sent.status == 202, "\(sent)")
        let item = try #require(try await eventuallyValue(timeout: .seconds(20)) { () async throws -> JSONValue? in
            elements(try Self.http(address, "GET", "/inbox").json["requests"]).first
        })
        #expect(item["tool_name"] == "Bash" && item["input"]?["command"] == "touch c-test" && item["agent_id"] == .null, "\(item)")
        let id = try #require(item["id"]?.stringValue)

        // Mistakes first, while it waits: none of them decides it.
        let unknown = "01a23d3d-9974-71f8-a366-80f6e09222d8"
        let cases: [(String, String, String?, Int, String)] = [
            ("POST", "/inbox/not-an-id", #"{"decision":"allow"}"#, 400, "invalid_uuid"),
            ("POST", "/inbox/\(unknown)", #"{"decision":"allow"}"#, 404, "unknown_permission"),
            ("POST", "/inbox/\(id)", #"{"decision":"perhaps"}"#, 400, "invalid_decision"),
            ("POST", "/inbox/\(id)", #"{"decision":"deny","scope":"agent"}"#, 400, "invalid_scope"),
            ("POST", "/inbox/\(id)", #"{"decision":"deny","updated_input":{"command":"ls"}}"#, 400, "invalid_updated_input"),
            ("POST", "/inbox/\(id)", "not json", 400, "invalid_json"),
            ("POST", "/inbox/batch", #"{"answers":[]}"#, 400, "invalid_answers"),
            ("GET", "/inbox?limit=0", nil, 400, "invalid_request"),
            ("DELETE", "/inbox/\(id)", nil, 405, "method_not_allowed"),
        ]
        for (method, path, body, status, code) in cases {
            let response = try Self.http(address, method, path, body)
            #expect(response.status == status && response.json["error"]?["code"] == .string(code), "\(method) \(path) \(body ?? ""): \(response)")
        }
        #expect(elements(try Self.http(address, "GET", "/inbox").json["requests"]).count == 1, "still waiting")

        let allowed = try Self.http(address, "POST", "/inbox/\(id)", #"{"decision":"allow"}"#)
        #expect(allowed.status == 200 && allowed.json["request"]?["status"] == "allowed" && allowed.json["request"]?["decided_by"] == "person", "\(allowed)")
        let again = try Self.http(address, "POST", "/inbox/\(id)", #"{"decision":"deny"}"#)
        #expect(again.status == 409 && again.json["error"]?["code"] == "permission_decided", "\(again)")
        #expect(again.json["error"]?["message"]?.stringValue?.contains("was already allowed by person") == true, "\(again)")
        let batch = try Self.http(address, "POST", "/inbox/batch", #"{"answers":[{"id":"\#(id)","decision":"deny"},{"id":"\#(unknown)","decision":"allow"}]}"#)
        #expect(batch.status == 200 && elements(batch.json["results"]).map { $0["error"]?["code"] } == ["permission_decided", "unknown_permission"], "\(batch)")

        // The turn went on with the answer; the audit log has the decision.
        let replied = try await eventually(timeout: .seconds(20)) {
            let page = try Self.http(address, "POST", "/load_chat", #"{"orchestrator_agent_id":"\#(host.orchestratorID)"}"#)
            return elements(page.json["messages"]).contains { $0["message"] == "The tool was allowed." }
        }
        #expect(replied)
        let log = try Self.http(address, "GET", "/permissions/log?limit=10")
        #expect(log.status == 200 && elements(log.json["requests"]).map { $0["id"] } == [.string(id)], "\(log)")
        #expect(try Self.http(address, "GET", "/permissions/log?before=\(id)").json["requests"] == .array([]))
        #expect(await host.stop() == 0)
    }
}
