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
    /// Routes with `:name` segments (`/agents/:id/logs`), by their segments; tried in order.
    private let patterns: [(segments: [Substring], routes: [HTTPRoute])]

    init(_ routes: [HTTPRoute]) {
        byPath = Dictionary(routes.filter { !$0.path.contains(":") }.map { ($0.path, $0) }) { first, _ in first }
        var patterns: [(segments: [Substring], routes: [HTTPRoute])] = []
        for route in routes where route.path.contains(":") {
            let segments = route.path.split(separator: "/")
            if let index = patterns.firstIndex(where: { $0.segments == segments }) { patterns[index].routes.append(route) }
            else { patterns.append((segments, [route])) }
        }
        self.patterns = patterns
    }

    /// The routes at `path` (one per path, or several methods' routes sharing a pattern).
    private func routes(_ path: String) -> [HTTPRoute] {
        if let route = byPath[path] { return [route] }
        let segments = path.split(separator: "/")
        return patterns.first { pattern in
            pattern.segments.count == segments.count
                && zip(pattern.segments, segments).allSatisfy { $0.first == ":" ? !$1.isEmpty : $0 == $1 }
        }?.routes ?? []
    }

    /// A path that is no route is a static file (GET or HEAD), named `static` in the metrics.
    func methods(_ path: String) -> [HTTPRequest.Method] {
        let found = routes(path)
        return found.isEmpty ? [.get, .head] : found.flatMap(\.methods)
    }
    func name(_ path: String) -> String { routes(path).first?.name ?? HTTPAPI.staticRouteName }
    func isPublic(_ path: String) -> Bool { routes(path).first?.isPublic ?? false }
    func isStaticFile(_ path: String) -> Bool { name(path) == HTTPAPI.staticRouteName }
}
