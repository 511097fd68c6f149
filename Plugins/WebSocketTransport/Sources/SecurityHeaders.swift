import HTTPTypes
import Hummingbird

/// Headers every response gets, the stricter set HTML gets, and CORS for configured origins only.
enum SecurityHeaders {
    static func apply(to response: inout Response, request: Request, policy: SecurityPolicy) {
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if response.headers[.contentType]?.hasPrefix("text/html") ?? false {
            response.headers[.contentSecurityPolicy] = contentSecurityPolicy(host: request.head.authority)
            response.headers[.xFrameOptions] = "DENY"
        }
        if let origin = request.headers[.origin], policy.isCORSOrigin(origin) {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.vary] = "Origin"
        }
    }

    /// The UI may talk only to the server that served it, over HTTP and WebSocket.
    static func contentSecurityPolicy(host: String?) -> String {
        let safeHost = (host ?? "").filter { $0.isLetter || $0.isNumber || ".:-[]".contains($0) }
        let sockets = safeHost.isEmpty ? "" : " ws://\(safeHost) wss://\(safeHost)"
        return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            + "connect-src 'self'\(sockets); frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    }

    static func preflight(_ request: Request, policy: SecurityPolicy) -> Response {
        guard let origin = request.headers[.origin], policy.isCORSOrigin(origin) else {
            return HTTPAPI.json(APIError(.forbidden, "origin_not_allowed", "cross-origin requests are allowed only from cors_origins").json,
                                status: .forbidden)
        }
        return Response(status: .noContent, headers: [
            .accessControlAllowMethods: "GET, POST, OPTIONS",
            .accessControlAllowHeaders: "Content-Type, Authorization",
            .accessControlMaxAge: "600",
        ])
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
