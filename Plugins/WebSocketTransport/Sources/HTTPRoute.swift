import HTTPTypes
import Hummingbird

/// One HTTP route: its path, the methods it answers, its name in the metrics, whether it
/// is open without the token, and what it does. The router and the middleware read the
/// same list, so adding a route is one entry.
struct HTTPRoute: Sendable {
    typealias Handler = @Sendable (Request, TransportRequestContext) async throws(APIError) -> Response

    var path: String
    var methods: [HTTPRequest.Method]
    /// The `route` label of `orch_http_request_duration_seconds`.
    var name: String
    /// Served without the token (health checks, the login form itself).
    var isPublic = false
    var handler: Handler
}

/// The routes by path, for what the middleware must know before the handler runs.
struct HTTPRouteTable: Sendable {
    private let byPath: [String: HTTPRoute]

    init(_ routes: [HTTPRoute]) { byPath = Dictionary(routes.map { ($0.path, $0) }) { first, _ in first } }

    /// A path that is no route is a static file (GET or HEAD), named `static` in the metrics.
    func methods(_ path: String) -> [HTTPRequest.Method] { byPath[path]?.methods ?? [.get, .head] }
    func name(_ path: String) -> String { byPath[path]?.name ?? HTTPAPI.staticRouteName }
    func isPublic(_ path: String) -> Bool { byPath[path]?.isPublic ?? false }
    func isStaticFile(_ path: String) -> Bool { name(path) == HTTPAPI.staticRouteName }
}
