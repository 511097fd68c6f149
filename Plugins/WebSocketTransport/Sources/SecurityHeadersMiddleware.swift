import Hummingbird

/// Puts `SecurityHeaders` on every response, failures included.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = TransportRequestContext

    let policy: SecurityPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        SecurityHeaders.apply(to: &response, request: request, policy: policy)
        return response
    }
}
