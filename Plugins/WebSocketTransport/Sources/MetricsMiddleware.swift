import Hummingbird

/// Times every HTTP request, by route name and final status.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = TransportRequestContext

    let routes: HTTPRouteTable
    let metrics: TransportMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let route = request.method == .options ? "preflight" : routes.name(request.uri.path)
        metrics.request(route: route, status: response.status.code, duration: .now - started)
        return response
    }
}
