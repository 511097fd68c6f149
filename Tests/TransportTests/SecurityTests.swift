import Foundation
import HTTPTypes
import OrchTesting
import PluginAPI
import Testing

/// Safe defaults: loopback, own origin only, optional token, no DNS rebinding, CORS only where configured.
@Suite(.serialized) struct SecurityTests {
    func withHost(_ options: [String: JSONValue] = [:], _ body: (TestHost) async throws -> Void) async throws {
        try await TestHost.with(options, body)
    }

    func upgrade(_ host: TestHost, _ headers: [String: String]) async throws -> RawHTTP.Response {
        try await RawHTTP.request(port: host.port, "GET", "/ws", headers: [
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
        ].merging(headers) { $1 })
    }

    @Test func aCrossOriginUpgradeIsRefused() async throws {
        try await withHost { host in
            let refused = try await upgrade(host, ["Origin": "http://evil.example"])
            #expect(refused.status == 403)
            #expect(refused.errorCode == "origin_not_allowed")
            #expect(refused.errorMessage == "Origin http://evil.example may not use this server; add it to allowed_origins if it should")
            // The server's own origin, and a client that sends none (a script), are fine.
            #expect(try await upgrade(host, ["Origin": "http://127.0.0.1:\(host.port)"]).status == 101)
            #expect(try await upgrade(host, [:]).status == 101)
            // The real client is refused too.
            await #expect(throws: (any Error).self) {
                try await TestSocket.connect(host.webSocketURL, headers: [.origin: "http://evil.example"])
            }
        }
    }

    @Test func crossOriginStateChangesAreRefusedButConfiguredOriginsWork() async throws {
        try await withHost(["allowed_origins": .array([.string("http://app.example:8080")]), "cors_origins": .array([.string("http://127.0.0.1:5175")])]) { host in
            let body = #"{"orchestrator_agent_id":"\#(host.orchestratorID)"}"#
            let refused = try await RawHTTP.postJSON(port: host.port, "/interrupt", body, headers: ["Origin": "http://evil.example"])
            #expect(refused.status == 403)
            #expect(refused.errorCode == "origin_not_allowed")
            #expect(try await RawHTTP.postJSON(port: host.port, "/interrupt", body, headers: ["Origin": "http://app.example:8080"]).status == 200)
            #expect(try await upgrade(host, ["Origin": "http://app.example:8080"]).status == 101)
            // With allowed_origins set, the server's own origin is no longer implied.
            #expect(try await upgrade(host, ["Origin": "http://127.0.0.1:\(host.port)"]).status == 403)

            let cors = try await RawHTTP.postJSON(port: host.port, "/interrupt", body, headers: ["Origin": "http://127.0.0.1:5175"])
            #expect(cors.status == 200)
            #expect(cors.headers["access-control-allow-origin"] == "http://127.0.0.1:5175")
            #expect(cors.headers["access-control-allow-credentials"] == "true")
            let preflight = try await RawHTTP.request(port: host.port, "OPTIONS", "/send_chat",
                                                      headers: ["Origin": "http://127.0.0.1:5175", "Access-Control-Request-Method": "POST"])
            #expect(preflight.status == 204)
            #expect(preflight.headers["access-control-allow-methods"] == "GET, POST, OPTIONS")
            let foreign = try await RawHTTP.request(port: host.port, "OPTIONS", "/send_chat", headers: ["Origin": "http://evil.example"])
            #expect(foreign.status == 403)
            #expect(foreign.errorCode == "origin_not_allowed")
            #expect(try await RawHTTP.get(port: host.port, "/health", headers: ["Origin": "http://evil.example"]).headers["access-control-allow-origin"] == nil)
        }
    }

    /// A page on another name that resolves to 127.0.0.1 (DNS rebinding) is not served.
    @Test func aForeignHostHeaderIsRefused() async throws {
        try await withHost { host in
            let rebound = try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Host": "evil.example:\(host.port)"])
            #expect(rebound.status == 403)
            #expect(rebound.errorCode == "host_not_allowed")
            #expect(rebound.errorMessage == "Host \"evil.example:\(host.port)\" is not served here; use http://127.0.0.1 or a configured origin")
            #expect(try await upgrade(host, ["Host": "evil.example:\(host.port)", "Origin": "http://evil.example:\(host.port)"]).status == 403)
            #expect(try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Host": "localhost:\(host.port)"]).status == 200)
        }
    }

    @Test func aMissingOrWrongTokenIsRefused() async throws {
        try await withHost(["auth_token": .string("s3cret; token, long enough")]) { host in
            let missing = try await RawHTTP.get(port: host.port, "/get_orchestrator")
            #expect(missing.status == 401)
            #expect(missing.errorCode == "missing_token")
            #expect(missing.errorMessage == "this server requires a token: send Authorization: Bearer <token>, or open the console URL orch serve prints (it logs you in)")
            #expect(missing.headers["www-authenticate"] == "Bearer")
            let wrong = try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == 401)
            #expect(wrong.errorCode == "invalid_token")
            #expect(try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Authorization": "Bearer s3cret; token, long enough"]).status == 200)

            #expect(try await upgrade(host, [:]).errorCode == "missing_token")
            #expect(try await upgrade(host, ["Authorization": "Bearer nope"]).errorCode == "invalid_token")
            #expect(try await upgrade(host, ["Authorization": "Bearer s3cret; token, long enough"]).status == 101)

            // A browser: the page redirects to the login form, which sets the cookie.
            let page = try await RawHTTP.get(port: host.port, "/", headers: ["Accept": "text/html"])
            #expect(page.status == 302)
            #expect(page.headers["location"] == "/login")
            let badLogin = try await RawHTTP.request(port: host.port, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                     body: Array("token=wrong".utf8))
            #expect(badLogin.status == 401)
            let login = try await RawHTTP.request(port: host.port, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                  body: Array("token=s3cret%3B+token%2C+long+enough".utf8))
            #expect(login.status == 303)
            let cookie = login.headers["set-cookie"] ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let value = String(cookie.split(separator: ";").first ?? "")
            #expect(try await RawHTTP.get(port: host.port, "/", headers: ["Cookie": value]).status == 200)
            let socket = try await TestSocket.connect(host.webSocketURL, headers: [.cookie: value])
            socket.close()
            #expect(try await RawHTTP.get(port: host.port, "/health").status == 200, "health stays open for probes")
        }
    }

    @Test func htmlCarriesSecurityHeaders() async throws {
        try await withHost { host in
            let page = try await RawHTTP.get(port: host.port, "/")
            #expect(page.status == 200)
            let policy = page.headers["content-security-policy"] ?? ""
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(policy.contains("connect-src 'self' ws://127.0.0.1:\(host.port) wss://127.0.0.1:\(host.port)"))
            #expect(page.headers["x-content-type-options"] == "nosniff")
            #expect(page.headers["x-frame-options"] == "DENY")
            #expect(try await RawHTTP.get(port: host.port, "/health").headers["x-content-type-options"] == "nosniff")
        }
    }

    @Test func unsafeOptionsStopCreation() async throws {
        for (options, message) in [
            (#"{"listen":"0.0.0.0:0","auth":"none"}"#, #"refusing auth = "none" on 0.0.0.0:0: only a loopback listen address may turn the token off, since anyone who can reach it could drive an agent with shell access; remove auth = "none" (the token in token_file is then required), or listen on 127.0.0.1"#),
            (#"{"auth_token":"short"}"#, "auth_token is 5 bytes; a token must be at least 16 bytes (e.g. `openssl rand -base64 32`), or leave it unset to use the generated token_file"),
            (#"{"listen":"0.0.0.0:0","auth_token":"0123456789abcde"}"#, "auth_token is 15 bytes; a token must be at least 16 bytes (e.g. `openssl rand -base64 32`), or leave it unset to use the generated token_file"),
            (#"{"auth":"off"}"#, #"auth must be "token" (the default: every request needs the token) or "none" (loopback only), got "off""#),
            (#"{"auth":"none","auth_token":"0123456789abcdef"}"#, #"auth = "none" contradicts the token set in auth_token; remove one of them"#),
            (#"{"auth_attempts":0}"#, "auth_attempts must be a positive integer, found 0"),
            (#"{"auth_window_s":0}"#, "auth_window_s must be more than 0 and at most 86400 seconds, got 0.0"),
            (#"{"listen":"nowhere"}"#, #"listen must be host:port (e.g. 127.0.0.1:9403), got "nowhere""#),
            (#"{"allowed_origins":["evil"]}"#, #""evil" is not an origin; write scheme://host[:port], e.g. http://127.0.0.1:5175"#),
            (#"{"heartbeat_s":0}"#, "heartbeat_s must be more than 0 and at most 3600 seconds, got 0.0"),
            (#"{"max_frame_bytes":-1}"#, "max_frame_bytes must be a positive integer, found -1"),
            (#"{"listen_on":"x"}"#, #"unknown option "listen_on"; valid options are listen, static_dir, allowed_origins, auth_token, max_body_bytes, max_frame_bytes, heartbeat_s, client_queue_limit, client_queue_bytes, cors_origins, head_timeout_s, body_timeout_s, idle_timeout_s, max_connections, tls_cert, tls_key, auth, token_file, auth_attempts, auth_window_s"#),
            (#"{"head_timeout_s":0}"#, "head_timeout_s must be more than 0 and at most 86400 seconds, got 0.0"),
            (#"{"body_timeout_s":86401}"#, "body_timeout_s must be more than 0 and at most 86400 seconds, got 86401.0"),
            (#"{"idle_timeout_s":"soon"}"#, "idle_timeout_s must be a number, found a string"),
            (#"{"max_connections":0}"#, "max_connections must be a positive integer, found 0"),
            // Loopback is what the name resolves to, not how it starts (.invalid never resolves, RFC 6761).
            (#"{"listen":"127.0.0.1.invalid:0","auth":"none"}"#, #"refusing auth = "none" on 127.0.0.1.invalid:0: only a loopback listen address may turn the token off, since anyone who can reach it could drive an agent with shell access; remove auth = "none" (the token in token_file is then required), or listen on 127.0.0.1"#),
            (#"{"listen":"127.evil.invalid:0","auth":"none"}"#, #"refusing auth = "none" on 127.evil.invalid:0: only a loopback listen address may turn the token off, since anyone who can reach it could drive an agent with shell access; remove auth = "none" (the token in token_file is then required), or listen on 127.0.0.1"#),
            (#"{"client_queue_bytes":0}"#, "client_queue_bytes must be a positive integer, found 0"),
            (#"{"tls_cert":"/tmp/cert.pem"}"#, "tls_cert and tls_key go together: set both (PEM files) to serve HTTPS, or neither"),
            (#"{"tls_cert":"/nonexistent/cert.pem","tls_key":"/nonexistent/key.pem"}"#, "tls_cert /nonexistent/cert.pem is not a readable PEM certificate"),
        ] {
            let loader = TestHost.loader()
            let library = try loader.library(Paths.plugin("WebSocketTransport"), relativeTo: "/")
            do {
                _ = try loader.makeTransport(library, .init(label: "t", config: Data(options.utf8), requests: testRequests(), events: Recorder()))
                Issue.record("\(options) was accepted")
            } catch {
                #expect("\(error)".hasSuffix(message) || "\(error)".contains(message + ": "), "\(error)")
            }
        }
    }

    /// Names that resolve only to loopback addresses count as loopback, whatever they are called.
    @Test func aNameResolvingToLoopbackListensWithoutAToken() async throws {
        try await withHost(["listen": "localhost:0"]) { host in
            let health = try await RawHTTP.get(port: host.port, "/health")
            #expect(health.status == 200)
        }
        try await withHost(["listen": "127.0.0.2:0"]) { host in
            let connection = try await RawConnection.open(host: "127.0.0.2", port: host.port)
            defer { connection.close() }
            try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.2:\(host.port)\r\n\r\n")
            #expect(await connection.receive(RawHTTP.parse)?.status == 200)
        }
    }
}
