import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/login`: a form that trades the token for an HttpOnly, SameSite=Strict cookie, so a
/// browser (which cannot set headers on a WebSocket) can authenticate everything after.
struct LoginPage {
    let policy: SecurityPolicy

    func respond(to request: Request, body: () async throws(APIError) -> ByteBuffer) async throws(APIError) -> Response {
        guard policy.requiresToken else {
            throw APIError(.notFound, "not_found", "this server has no auth_token; there is nothing to log in to")
        }
        if request.method == .get { return Self.page(status: .ok, message: "") }
        let form = try await body()
        let token = Self.token(in: String(buffer: form), contentType: request.headers[.contentType] ?? "")
        guard let token, policy.isTokenValid(token) else {
            return Self.page(status: .unauthorized, message: "That token is not right.")
        }
        var response = Response.redirect(to: "/", type: .normal)
        let value = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        // Secure only over TLS: on plain HTTP a browser would refuse to store the cookie at all.
        let secure = request.head.scheme == "https" ? "; Secure" : ""
        response.headers[.setCookie] = "\(SecurityPolicy.cookieName)=\(value); Path=/; HttpOnly; SameSite=Strict\(secure)"
        return response
    }

    /// From `token=...` (the form) or `{"token": "..."}` (a script).
    private static func token(in body: String, contentType: String) -> String? {
        if contentType.lowercased().hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
            return object["token"] as? String
        }
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "token" {
                return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
        }
        return nil
    }

    private static func page(status: HTTPResponse.Status, message: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Orch: log in</title></head>
            <body><main><h1>Orch</h1><p>This server needs its access token.</p>
            <form method="post" action="/login"><label>Token <input type="password" name="token" autofocus required></label>
            <button type="submit">Log in</button></form><p role="alert">\(message)</p></main></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
