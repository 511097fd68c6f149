import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PluginAPI

/// The HTTP side: the original's routes, each a host operation, plus health, metrics,
/// login and the static UI. Every failure is `{status:"error", error:{code, message}}`.
struct HTTPAPI: HTTPResponder {
    typealias Context = BasicRequestContext

    enum Route: String, Sendable {
        case health, metrics, loadChat = "load_chat", sendChat = "send_chat", getOrchestrator = "get_orchestrator"
        case interrupt, webSocket = "ws", login, preflight, staticFile = "static"
    }

    static let routes: [String: (route: Route, methods: [HTTPRequest.Method])] = [
        "/health": (.health, [.get, .head]), "/metrics": (.metrics, [.get]),
        "/load_chat": (.loadChat, [.post]), "/send_chat": (.sendChat, [.post]),
        "/get_orchestrator": (.getOrchestrator, [.get]), "/interrupt": (.interrupt, [.post]),
        "/ws": (.webSocket, [.get]), "/login": (.login, [.get, .post]),
    ]

    let host: HostClient
    let options: TransportOptions
    let policy: SecurityPolicy
    let files: StaticFiles
    let metrics: TransportMetrics
    let registry: ConnectionRegistry
    let version: String
    /// The host's `[host] max_message_bytes`, read at start.
    let maxMessageBytes: Int

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let route = request.method == .options ? .preflight : Self.routes[request.uri.path]?.route ?? .staticFile
        var response: Response
        do {
            response = try await dispatch(request, route: route, context: context)
        } catch {
            response = failure(APIError(error), path: request.uri.path)
        }
        SecurityHeaders.apply(to: &response, request: request, policy: policy)
        metrics.request(route: route.rawValue, status: response.status.code, duration: .now - started)
        return response
    }

    private func dispatch(_ request: Request, route: Route, context: Context) async throws(APIError) -> Response {
        let credentials = Credentials(request.head)
        try policy.checkHost(credentials)
        if route == .preflight { return SecurityHeaders.preflight(request, policy: policy) }
        let methods = Self.routes[request.uri.path]?.methods ?? [.get, .head]
        guard methods.contains(request.method) else {
            throw APIError(.methodNotAllowed, "method_not_allowed",
                           "\(request.uri.path) accepts \(methods.map(\.rawValue).joined(separator: ", ")), not \(request.method.rawValue)")
        }
        if request.method == .post || route == .webSocket { try policy.checkOrigin(credentials) }
        if route != .login && route != .health {
            do { try policy.checkToken(credentials) } catch {
                if route == .staticFile, request.headers[.accept]?.contains("text/html") ?? false { return .redirect(to: "/login", type: .found) }
                throw error
            }
        }
        switch route {
        case .health: return await health()
        case .metrics: return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                       body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        case .loadChat: return try await forward(HostCall.loadChat(try await body(request)))
        case .sendChat:
            let call = try HostCall.sendChat(try await body(request), maxMessageBytes: maxMessageBytes)
            let waited = call.arguments["wait"]?.boolValue ?? false
            let response = try await forward(call, status: waited ? .ok : .accepted, keepStatus: true)
            metrics.turns.increment()
            return response
        case .getOrchestrator: return try await forward(HostCall(op: "get_orchestrator", arguments: [:]))
        case .interrupt: return try await forward(HostCall.interrupt(try await body(request)))
        case .webSocket: throw Self.notAnUpgrade(request)
        case .login: return try await LoginPage(policy: policy).respond(to: request) { () async throws(APIError) -> ByteBuffer in try await rawBody(request) }
        case .staticFile: return try await staticFile(request, context: context)
        case .preflight: return SecurityHeaders.preflight(request, policy: policy)
        }
    }

    /// A host operation's reply as `{status:"success", ...}`; `send_chat` keeps the host's "accepted"/"success".
    private func forward(_ call: HostCall, status: HTTPResponse.Status = .ok, keepStatus: Bool = false) async throws(APIError) -> Response {
        var reply = try await host.call(call)
        if !keepStatus || reply["status"] == nil { reply["status"] = .string("success") }
        return Self.json(.object(reply), status: status)
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
        headers[.contentLength] = String(file.size)
        guard request.method == .get else { return Response(status: .ok, headers: headers) }
        do {
            return Response(status: .ok, headers: headers, body: try await files.body(of: file, context: context))
        } catch {
            throw APIError(.notFound, "not_found", "\(request.uri.path.prefix(200)) disappeared while being read")
        }
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
        let data = (try? JSON.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func failure(_ error: APIError, path: String) -> Response {
        metrics.error(error.code, via: "http")
        var response = Self.json(error.json, status: error.status)
        if error.status == .methodNotAllowed {
            response.headers[.allow] = (Self.routes[path]?.methods ?? [.get, .head]).map(\.rawValue).joined(separator: ", ")
        }
        if error.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}
