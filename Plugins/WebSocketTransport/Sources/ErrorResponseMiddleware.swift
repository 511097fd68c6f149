import HTTPTypes
import Hummingbird

/// Every failure, whoever threw it, answered as `{status:"error", error:{code, message}}`
/// with its status, counted by code, with `Allow` on a 405, `WWW-Authenticate` on a 401 and `Retry-After` on a 429.
struct ErrorResponseMiddleware: RouterMiddleware {
    typealias Context = TransportRequestContext

    let routes: HTTPRouteTable
    let metrics: TransportMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch {
            let failure = APIError(error)
            metrics.error(failure.code, via: "http")
            var response = HTTPAPI.json(failure.json, status: failure.status)
            if failure.status == .methodNotAllowed {
                response.headers[.allow] = routes.methods(request.uri.path).map(\.rawValue).joined(separator: ", ")
            }
            if failure.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            if let seconds = failure.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }
}
