import Foundation
import PluginAPI
import Testing

/// Every HTTP route of the transport, success and failure, over real sockets.
@Suite(.serialized) struct HTTPRouteTests {
    func withHost(_ options: [String: JSONValue] = [:], maxMessageBytes: Int = 100_000, _ body: (TestHost) async throws -> Void) async throws {
        try await TestHost.with(options, maxMessageBytes: maxMessageBytes, body)
    }

    func expectError(_ response: RawHTTP.Response, _ status: Int, _ code: String, _ message: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
        #expect(response.json?["status"] == .string("error"), sourceLocation: sourceLocation)
        #expect(response.errorCode == code, "body: \(response.text)", sourceLocation: sourceLocation)
        if let message { #expect(response.errorMessage == message, sourceLocation: sourceLocation) }
        #expect(response.headers["content-type"] == "application/json; charset=utf-8", sourceLocation: sourceLocation)
    }

    @Test func healthReportsDependenciesAndConnections() async throws {
        try await withHost { host in
            let socket = try await TestSocket.connect(host.webSocketURL)
            let healthy = try await RawHTTP.get(port: host.port, "/health")
            #expect(healthy.status == 200)
            #expect(healthy.json?["status"] == .string("healthy"))
            #expect(healthy.json?["service"] == .string("orchestrator-3-stream"))
            #expect(healthy.json?["websocket_connections"] == .int(1))
            #expect(healthy.json?["version"] == .string("1.0.0"))
            #expect(healthy.json?["store"]?["ok"] == .bool(true))
            host.storeDown = true
            let degraded = try await RawHTTP.get(port: host.port, "/health")
            #expect(degraded.status == 503)
            #expect(degraded.json?["status"] == .string("degraded"))
            #expect(degraded.json?["error"] == .object(["code": .string("dependency_down"), "message": .string("down: store")]))
            socket.close()
        }
    }

    @Test func loadChatReturnsHistoryAndRejectsBadInput() async throws {
        try await withHost { host in
            let id = host.orchestratorID
            _ = try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"hi","orchestrator_agent_id":"\#(id)","wait":true}"#)
            let loaded = try await RawHTTP.postJSON(port: host.port, "/load_chat", #"{"orchestrator_agent_id":"\#(id.uppercased())","limit":2000}"#)
            #expect(loaded.status == 200)
            #expect(loaded.json?["status"] == .string("success"))
            #expect(loaded.json?["turn_count"] == .int(2))
            #expect(loaded.json?["messages"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 2)
            #expect(loaded.json?["orchestrator"]?["total_cost"] == .double(0.0015))

            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", "{not json"), 400, "invalid_json",
                        "the body is not valid JSON; send a JSON object")
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", "[1,2]"), 400, "invalid_json",
                        "the body must be a JSON object, found an array")
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", "{}"), 400, "invalid_request", #"missing field "orchestrator_agent_id""#)
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", #"{"orchestrator_agent_id":"nope"}"#), 400, "invalid_uuid",
                        #"orchestrator_agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got "nope""#)
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", #"{"orchestrator_agent_id":"\#(id)","limit":0}"#), 400,
                        "invalid_request", "limit must be between 1 and 100000, got 0")
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", #"{"orchestrator_agent_id":"\#(id)","limit":"5"}"#), 400,
                        "invalid_request", "limit must be an integer, found a string")
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", #"{"orchestrator_agent_id":"\#(UUID().uuidString)"}"#), 404,
                        "unknown_orchestrator")
            expectError(try await RawHTTP.request(port: host.port, "POST", "/load_chat", headers: ["Content-Type": "text/plain"],
                                                  body: Array(#"{"orchestrator_agent_id":"\#(id)"}"#.utf8)),
                        415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
            host.storeDown = true
            expectError(try await RawHTTP.postJSON(port: host.port, "/load_chat", #"{"orchestrator_agent_id":"\#(id)"}"#), 503,
                        "store_unavailable", "the store is not reachable")
        }
    }

    @Test func sendChatAcceptsAtOnceOrWaitsForTheTurn() async throws {
        try await withHost(maxMessageBytes: 64) { host in
            let id = host.orchestratorID
            let accepted = try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"hello","orchestrator_agent_id":"\#(id)"}"#)
            #expect(accepted.status == 202)
            #expect(accepted.json?["status"] == .string("accepted"))
            #expect(accepted.json?["message_id"]?.stringValue.flatMap(UUID.init(uuidString:)) != nil)
            #expect(accepted.json?["turn_id"]?.stringValue.flatMap(UUID.init(uuidString:)) != nil)
            #expect(accepted.json?["queued"]?.boolValue != nil)
            let waited = try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"again","orchestrator_agent_id":"\#(id)","wait":true}"#)
            #expect(waited.status == 200)
            #expect(waited.json?["status"] == .string("success"))
            #expect(waited.json?["response"] == .string(host.replyChunks.joined()))
            #expect(waited.json?["session_id"] == .string("session-1"))
            #expect(waited.json?["cost"] == .double(0.0015))
            #expect(waited.json?["usage"]?["output_tokens"] == .int(20))

            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"  \n","orchestrator_agent_id":"\#(id)"}"#), 400,
                        "empty_message", "message is empty; type something to send")
            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"\#(String(repeating: "é", count: 40))","orchestrator_agent_id":"\#(id)"}"#),
                        400, "message_too_large", "message is 80 bytes; the limit is 64 bytes ([host] max_message_bytes)")
            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":42,"orchestrator_agent_id":"\#(id)"}"#), 400,
                        "invalid_request", "message must be a string, found an integer")
            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"hi","orchestrator_agent_id":"\#(id)","wait":"yes"}"#),
                        400, "invalid_request", "wait must be true or false, found a string")
            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"hi","orchestrator_agent_id":"12345"}"#), 400, "invalid_uuid")
            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"hi","orchestrator_agent_id":"\#(UUID().uuidString)"}"#),
                        404, "unknown_orchestrator")
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await withHost(["max_body_bytes": .int(1024)], maxMessageBytes: 512) { host in
            let big = #"{"message":"\#(String(repeating: "x", count: 2000))","orchestrator_agent_id":"\#(host.orchestratorID)"}"#
            expectError(try await RawHTTP.postJSON(port: host.port, "/send_chat", big), 413, "body_too_large",
                        "the request body is over 1024 bytes (max_body_bytes)")
            // Without Content-Length (chunked), the limit still holds while reading.
            let chunked = Array("\(String(big.utf8.count, radix: 16))\r\n\(big)\r\n0\r\n\r\n".utf8)
            expectError(try await RawHTTP.request(port: host.port, "POST", "/send_chat",
                                                  headers: ["Content-Type": "application/json", "Transfer-Encoding": "chunked", "Content-Length": ""],
                                                  body: chunked), 413, "body_too_large")
        }
    }

    @Test func getOrchestratorInterruptAndMetrics() async throws {
        try await withHost { host in
            let orchestrator = try await RawHTTP.get(port: host.port, "/get_orchestrator")
            #expect(orchestrator.status == 200)
            #expect(orchestrator.json?["status"] == .string("success"))
            #expect(orchestrator.json?["orchestrator"]?["id"] == .string(host.orchestratorID))
            let interrupted = try await RawHTTP.postJSON(port: host.port, "/interrupt", #"{"orchestrator_agent_id":"\#(host.orchestratorID)"}"#)
            #expect(interrupted.status == 200)
            #expect(interrupted.json == .object(["status": .string("success"), "interrupted": .bool(false)]))
            expectError(try await RawHTTP.postJSON(port: host.port, "/interrupt", #"{"orchestrator_agent_id":null}"#), 400, "invalid_request",
                        #"missing field "orchestrator_agent_id""#)
            expectError(try await RawHTTP.get(port: host.port, "/interrupt"), 405, "method_not_allowed", "/interrupt accepts POST, not GET")
            expectError(try await RawHTTP.postJSON(port: host.port, "/get_orchestrator", "{}"), 405, "method_not_allowed")
            host.storeDown = true
            expectError(try await RawHTTP.get(port: host.port, "/get_orchestrator"), 503, "store_unavailable")
            host.storeDown = false

            _ = try await RawHTTP.postJSON(port: host.port, "/send_chat", #"{"message":"m","orchestrator_agent_id":"\#(host.orchestratorID)"}"#)
            let metrics = try await RawHTTP.get(port: host.port, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            for series in ["orch_ws_connections 0.0", "orch_turns_total 1", "orch_ws_chunks_sent_total", "orch_errors_total{code=\"store_unavailable\",via=\"http\"} 1",
                           "orch_http_request_duration_seconds_bucket{route=\"get_orchestrator\",status=\"200\"", "orch_ws_fanout_seconds"] {
                #expect(metrics.text.contains(series), "missing \(series)")
            }
        }
    }

    @Test func theWebSocketPathWithoutAnUpgradeIs426() async throws {
        try await withHost { host in
            expectError(try await RawHTTP.get(port: host.port, "/ws"), 426, "upgrade_required",
                        "/ws is a WebSocket endpoint; connect with a WebSocket client")
        }
    }

    @Test func hostErrorsMapToStatuses() async throws {
        try await withHost { host in
            for (status, code, expected) in [(Status.conflict, "turn_in_progress", 409), (.timeout, "timeout", 504), (.internal, "internal", 500),
                                             (.unavailable, "backend_unavailable", 503), (.invalid, "message_too_large", 400)] {
                host.requests.register("get_orchestrator") { _, _ in throw PluginError(status, code: code, "as told") }
                expectError(try await RawHTTP.get(port: host.port, "/get_orchestrator"), expected, code, "as told")
            }
        }
    }

    /// Bytes that are not HTTP, and handshakes NIO would drop, are answered, not met with silence.
    @Test func malformedRequestsAreAnswered() async throws {
        try await withHost { host in
            for garbage in ["GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", "\u{16}\u{3}\u{1}\u{2}\u{0}\r\n\r\n"] {
                let connection = try await RawConnection.open(port: host.port)
                try await connection.send(garbage)
                let response = await connection.receive(RawHTTP.parse)
                #expect(response?.status == 400, "\(garbage.debugDescription)")
                #expect(await connection.waitUntilClosed())
            }
            for (key, version) in [("", "13"), ("dGhlIHNhbXBsZSBub25jZQ==", "8"), ("short", "13")] {
                let response = try await RawHTTP.request(port: host.port, "GET", "/ws", headers: [
                    "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": version,
                ])
                expectError(response, 400, "websocket_handshake_failed",
                            "a WebSocket handshake needs Connection: Upgrade, one Sec-WebSocket-Key (16 bytes, base64) and Sec-WebSocket-Version: 13")
            }
            #expect(try await RawHTTP.get(port: host.port, "/health").status == 200)
        }
    }
}
