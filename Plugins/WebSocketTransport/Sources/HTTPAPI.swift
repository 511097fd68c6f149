import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PluginAPI

/// The HTTP side: the original's routes, each a host operation, plus health, metrics,
/// login and the static UI, on a Hummingbird `Router`. The security policy, the security
/// headers, the error bodies and the metrics are middleware around every route (and
/// around paths no route takes). Every failure is `{status:"error", error:{code, message}}`.
struct HTTPAPI: Sendable {
    typealias Context = TransportRequestContext

    static let staticRouteName = "static"
    static let webSocketPath = "/ws"

    let host: HostClient
    let options: TransportOptions
    let policy: SecurityPolicy
    let files: StaticFiles
    let metrics: TransportMetrics
    let registry: ConnectionRegistry
    let version: String
    /// The host's `[host] max_message_bytes`, read at start.
    let maxMessageBytes: Int

    var routes: [HTTPRoute] {
        [
            HTTPRoute(path: "/health", methods: [.get, .head], name: "health", isPublic: true) { _, _ in await health() },
            HTTPRoute(path: "/metrics", methods: [.get], name: "metrics") { _, _ in metricsPage() },
            HTTPRoute(path: "/load_chat", methods: [.post], name: "load_chat") { request, _ throws(APIError) in
                try await forwardBytes(HostCall.loadChat(try await body(request)))
            },
            HTTPRoute(path: "/send_chat", methods: [.post], name: "send_chat") { request, _ throws(APIError) in try await sendChat(request) },
            HTTPRoute(path: "/get_orchestrator", methods: [.get], name: "get_orchestrator") { _, _ throws(APIError) in
                try await forward(HostCall(op: "get_orchestrator", arguments: [:]))
            },
            HTTPRoute(path: "/interrupt", methods: [.post], name: "interrupt") { request, _ throws(APIError) in
                try await forward(HostCall.interrupt(try await body(request)))
            },
            // The team (docs/agents.md): a person drives agents directly, as the orchestrator does.
            HTTPRoute(path: "/list_agents", methods: [.get], name: "list_agents") { _, _ throws(APIError) in
                try await forward(HostCall(op: "list_agents", arguments: [:]))
            },
            HTTPRoute(path: "/agents", methods: [.post], name: "create_agent") { request, _ throws(APIError) in
                try await forward(HostCall(op: "create_agent", arguments: try await body(request).object), status: .created)
            },
            HTTPRoute(path: "/agents/:id", methods: [.get], name: "get_agent") { request, context throws(APIError) in
                if Self.isPageNavigation(request) { return try await staticFile(request, context: context) }
                return try await forward(HostCall(op: "get_agent", arguments: ["agent_id": .string(try Self.agentID(context))]))
            },
            HTTPRoute(path: "/agents/:id", methods: [.delete], name: "delete_agent") { _, context throws(APIError) in
                try await forward(HostCall(op: "delete_agent", arguments: ["agent_id": .string(try Self.agentID(context))]))
            },
            HTTPRoute(path: "/agents/:id/logs", methods: [.get], name: "agent_logs") { request, context throws(APIError) in
                if Self.isPageNavigation(request) { return try await staticFile(request, context: context) }
                return try await forwardBytes(try HostCall.agentLogs(agentID: try Self.agentID(context), query: request.uri.queryParameters))
            },
            HTTPRoute(path: "/agents/:id/command", methods: [.post], name: "command_agent") { request, context throws(APIError) in
                let call = try HostCall.commandAgent(agentID: try Self.agentID(context), try await body(request), maxMessageBytes: maxMessageBytes)
                return try await forward(call, status: .accepted, keepStatus: true)
            },
            HTTPRoute(path: "/agents/:id/interrupt", methods: [.post], name: "interrupt_agent") { _, context throws(APIError) in
                try await forward(HostCall(op: "interrupt_agent", arguments: ["agent_id": .string(try Self.agentID(context))]))
            },
            // The permission inbox (docs/permissions.md): what the orchestrator and its agents wait to be allowed.
            HTTPRoute(path: "/inbox", methods: [.get], name: "inbox") { request, _ throws(APIError) in
                try await forward(try HostCall.paged("inbox", query: request.uri.queryParameters))
            },
            HTTPRoute(path: "/inbox/batch", methods: [.post], name: "answer_permissions") { request, _ throws(APIError) in
                try await forward(HostCall(op: "answer_permissions", arguments: try await body(request).object))
            },
            HTTPRoute(path: "/inbox/:id", methods: [.post], name: "answer_permission") { request, context throws(APIError) in
                var arguments = try await body(request).object
                arguments["id"] = .string(try Self.uuidParameter(context, "permission request id in the path"))
                return try await forward(HostCall(op: "answer_permission", arguments: arguments))
            },
            HTTPRoute(path: "/permissions/log", methods: [.get], name: "permission_log") { request, _ throws(APIError) in
                try await forward(try HostCall.paged("permission_log", query: request.uri.queryParameters))
            },
            // Upgrades never get here: ServerChannel takes them over (docs/websocket-transport.md, "Design").
            HTTPRoute(path: Self.webSocketPath, methods: [.get], name: "ws") { request, _ throws(APIError) in throw Self.notAnUpgrade(request) },
            HTTPRoute(path: "/login", methods: [.get, .post], name: "login", isPublic: true) { request, context throws(APIError) in
                try await LoginPage(policy: policy).respond(to: request, from: context.clientAddress) { () async throws(APIError) -> ByteBuffer in
                    try await rawBody(request)
                }
            },
            HTTPRoute(path: LoginPage.scriptPath, methods: [.get, .head], name: "login", isPublic: true) { _, _ in LoginPage.scriptResponse() },
            HTTPRoute(path: "/", methods: [.get, .head], name: Self.staticRouteName) { request, context throws(APIError) in try await staticFile(request, context: context) },
            HTTPRoute(path: "/**", methods: [.get, .head], name: Self.staticRouteName) { request, context throws(APIError) in try await staticFile(request, context: context) },
        ]
    }

    func makeRouter() -> Router<Context> {
        let routes = routes
        let table = HTTPRouteTable(routes)
        let router = Router(context: Context.self)
        // Outermost first; middleware applies to the routes added after it.
        router.add(middleware: MetricsMiddleware(routes: table, metrics: metrics))
        router.add(middleware: SecurityHeadersMiddleware(policy: policy))
        router.add(middleware: ErrorResponseMiddleware(routes: table, metrics: metrics))
        router.add(middleware: RequestPolicyMiddleware(policy: policy, routes: table, webSocketPath: Self.webSocketPath))
        for route in routes {
            for method in route.methods {
                router.on(RouterPath(route.path), method: method) { request, context in try await route.handler(request, context) }
            }
        }
        return router
    }

    private func metricsPage() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }

    private func sendChat(_ request: Request) async throws(APIError) -> Response {
        let call = try HostCall.sendChat(try await body(request), maxMessageBytes: maxMessageBytes)
        let waited = call.arguments["wait"]?.boolValue ?? false
        let response = try await forward(call, status: waited ? .ok : .accepted, keepStatus: true)
        metrics.turns.increment()
        return response
    }

    /// A host operation's reply as `{status:"success", ...}`; `send_chat` keeps the host's "accepted"/"success".
    private func forward(_ call: HostCall, status: HTTPResponse.Status = .ok, keepStatus: Bool = false) async throws(APIError) -> Response {
        var reply = try await host.call(call)
        if !keepStatus || reply["status"] == nil { reply["status"] = .string("success") }
        return Self.json(.object(reply), status: status)
    }

    /// As `forward`, for a reply too large to decode and encode again (a history page): its bytes go to
    /// the body with `"status":"success"` put in its sorted place, so the body is what `forward` would send.
    private func forwardBytes(_ call: HostCall) async throws(APIError) -> Response {
        let reply = try await host.raw(call)
        guard let members = JSONMembers(reply) else {
            throw APIError(.badGateway, "invalid_host_reply", "the host answered \(call.op) with something that is not a JSON object")
        }
        let body = members.value("status") == nil ? members.inserting("status", "\"success\"") : members.bytes
        return Self.json(bytes: body, status: .ok)
    }

    private func health() async -> Response {
        var fields: [String: JSONValue] = [
            "service": .string("orchestrator-3-stream"), "version": .string(version),
            "websocket_connections": .int(Int64(registry.count)),
        ]
        do {
            let reply = try await host.call("health")
            for key in ["store", "backend", "host_version", "uptime_s", "plugins"] { fields[key] = reply[key] }
            let down = ["store", "backend"].filter { reply[$0]?["ok"]?.boolValue == false }
            let healthy = reply["status"]?.stringValue == "ok" && down.isEmpty
            fields["status"] = .string(healthy ? "healthy" : "degraded")
            if !healthy {
                fields["error"] = .object(["code": .string("dependency_down"),
                                           "message": .string(down.isEmpty ? "the host reports degraded" : "down: \(down.joined(separator: ", "))")])
            }
            return Self.json(.object(fields), status: healthy ? .ok : .serviceUnavailable)
        } catch {
            fields["status"] = .string("unhealthy")
            fields["error"] = .object(["code": .string(error.code), "message": .string(error.message)])
            return Self.json(.object(fields), status: .serviceUnavailable)
        }
    }

    private func staticFile(_ request: Request, context: Context) async throws(APIError) -> Response {
        guard case .file(let file) = try await files.lookup(request.uri.path) else {
            if files.isEmpty {
                throw APIError(.notFound, "no_frontend", "no built frontend in static_dir (\(files.root)); build it, or set static_dir")
            }
            throw APIError(.notFound, "not_found", "nothing at \(request.uri.path.prefix(200))")
        }
        var headers: HTTPFields = [
            .contentType: file.contentType, .eTag: file.etag,
            .cacheControl: file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        ]
        if request.headers[.ifNoneMatch] == file.etag { return Response(status: .notModified, headers: headers) }
        guard request.method == .get else {
            headers[.contentLength] = String(file.size)
            return Response(status: .ok, headers: headers)
        }
        do {
            let bytes = try await files.contents(of: file)
            headers[.contentLength] = String(bytes.readableBytes)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
        } catch {
            throw APIError(.notFound, "not_found", "\(request.uri.path.prefix(200)) is no longer a file in static_dir")
        }
    }

    /// A browser opening the address (it asks for HTML), not a script asking the API: an agent's
    /// address in the console is the app's page, the same address fetched is its JSON.
    private static func isPageNavigation(_ request: Request) -> Bool {
        let accept = request.headers[.accept]?.lowercased() ?? ""
        return accept.contains("text/html") && !accept.contains("application/json")
    }

    /// The `:id` of an agent route: a UUID, or a 400 naming it.
    private static func agentID(_ context: Context) throws(APIError) -> String {
        try uuidParameter(context, "agent id in the path")
    }

    private static func uuidParameter(_ context: Context, _ field: String) throws(APIError) -> String {
        let text = context.parameters.get("id") ?? ""
        do { return try ChatRequestRules.validateUUID(text, field: field) } catch { throw APIError(error) }
    }

    private static func notAnUpgrade(_ request: Request) -> APIError {
        if request.headers[.upgrade]?.lowercased() == "websocket" {
            return .badRequest("websocket_handshake_failed",
                               "not a valid WebSocket handshake: send Sec-WebSocket-Key and Sec-WebSocket-Version: 13, as the first request of a connection")
        }
        return APIError(.upgradeRequired, "upgrade_required", "/ws is a WebSocket endpoint; connect with a WebSocket client")
    }

    // MARK: Bodies

    private func rawBody(_ request: Request) async throws(APIError) -> ByteBuffer {
        let limit = options.maxBodyBytes
        let tooLarge = APIError(.contentTooLarge, "body_too_large", "the request body is over \(limit) bytes (max_body_bytes)")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        var request = request
        do { return try await request.collectBody(upTo: limit) } catch is NIOTooManyBytesError { throw tooLarge } catch {
            throw .badRequest("invalid_body", "the request body could not be read: \(error)")
        }
    }

    /// The JSON object a POST route takes. Requiring `application/json` also means a
    /// cross-site form cannot send it without a CORS preflight.
    private func body(_ request: Request) async throws(APIError) -> ClientArguments {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
        }
        let buffer = try await rawBody(request)
        return try ClientArguments(json: buffer.readableBytesView)
    }

    // MARK: Responses

    static func json(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        json(bytes: (try? JSON.encode(value)) ?? Data("{}".utf8), status: status)
    }

    static func json(bytes: some Sequence<UInt8>, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
