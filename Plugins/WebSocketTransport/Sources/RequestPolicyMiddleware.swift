import HTTPTypes
import Hummingbird

/// The security policy in front of every route, in this order: the `Host` check (so a
/// rebound name learns nothing, not even which methods a path takes), CORS preflights,
/// the method (405 before credentials, as a client needs to learn it either way), the
/// `Origin` check for POSTs and the WebSocket path, then the token.
struct RequestPolicyMiddleware: RouterMiddleware {
    typealias Context = TransportRequestContext

    let policy: SecurityPolicy
    let routes: HTTPRouteTable
    let webSocketPath: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let credentials = Credentials(request.head)
        let path = request.uri.path
        try policy.checkHost(credentials)
        if request.method == .options { return SecurityHeaders.preflight(request, policy: policy) }
        let methods = routes.methods(path)
        guard methods.contains(request.method) else {
            throw APIError(.methodNotAllowed, "method_not_allowed",
                           "\(path) accepts \(methods.map(\.rawValue).joined(separator: ", ")), not \(request.method.rawValue)")
        }
        if request.method == .post || path == webSocketPath { try policy.checkOrigin(credentials) }
        if !routes.isPublic(path) {
            do { try policy.checkToken(credentials, from: context.clientAddress) } catch {
                // A browser opening a page without the token is sent to the form.
                if error.status == .unauthorized, routes.isStaticFile(path), request.headers[.accept]?.contains("text/html") ?? false {
                    return .redirect(to: "/login", type: .found)
                }
                throw error
            }
        }
        return try await next(request, context)
    }
}
