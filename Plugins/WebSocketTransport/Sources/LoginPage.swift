import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/login`: a form that trades the token for an HttpOnly, SameSite=Strict cookie, so a
/// browser (which cannot set headers on a WebSocket) can authenticate everything after.
/// The URL `orch serve` prints, `/login#token=…`, logs in with one click: `/login.js`
/// reads the fragment (which never reaches the server's logs or a `Referer`), removes it
/// from the history and submits the form.
struct LoginPage {
    static let scriptPath = "/login.js"

    let policy: SecurityPolicy

    /// `address` is the client's IP address, which a wrong token is counted against.
    func respond(to request: Request, from address: String?, body: () async throws(APIError) -> ByteBuffer) async throws(APIError) -> Response {
        guard policy.requiresToken else {
            throw APIError(.notFound, "not_found", "this server has no token (auth = \"none\"); there is nothing to log in to")
        }
        if request.method == .get { return Self.page(status: .ok, message: "") }
        let form = try await body()
        let token = Self.token(in: String(buffer: form), contentType: request.headers[.contentType] ?? "")
        var valid = false
        if let token {
            do throws(APIError) { valid = try policy.checkAttempt(token, from: address) } catch {
                var page = Self.page(status: error.status, message: "Too many wrong tokens from your address: try again in \(error.retryAfter ?? 1) s.")
                if let seconds = error.retryAfter { page.headers[.retryAfter] = String(seconds) }
                return page
            }
        }
        guard let token, valid else {
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
            <html lang="en"><head><meta charset="utf-8"><title>Orch: log in</title><link rel="icon" href="data:,">
            <meta name="referrer" content="same-origin"></head>
            <body><main><h1>Orch</h1><p>This server needs its access token.</p>
            <form id="login" method="post" action="/login"><label>Token <input type="password" name="token" autofocus required></label>
            <button type="submit">Log in</button></form><p role="alert">\(message)</p>
            <p>The token is in the file token_file names (<code>.orch/auth-token</code> by default); <code>orch serve</code> prints a URL that logs you in.</p>
            </main><script src="\(scriptPath)"></script></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Reads `#token=…`, drops it from the address bar and the history, and logs in with it; also
    /// sends the typed form the same way. A `fetch`, not a form submission: under the server's
    /// `Referrer-Policy: no-referrer` a browser sends a form's POST with `Origin: null`, which the
    /// Origin check refuses (the page's `<meta name="referrer">` covers the form without script).
    /// A refused token shows the form again with why, never a loop.
    static let script = """
        (function () {
          var form = document.getElementById("login");
          var alert = document.querySelector("[role=alert]");
          function logIn(token) {
            fetch("/login", { method: "POST", headers: { "Content-Type": "application/json" },
                              body: JSON.stringify({ token: token }), credentials: "same-origin" })
              .then(function (response) {
                // Logged in: the 303 to / was followed with the new cookie.
                if (response.ok) { location.replace("/"); return; }
                var wait = response.headers.get("Retry-After");
                alert.textContent = response.status === 429
                  ? "Too many wrong tokens from your address: try again in " + wait + " s."
                  : "That token is not right.";
              })
              .catch(function (error) { alert.textContent = "Could not reach the server: " + error.message; });
          }
          form.addEventListener("submit", function (event) {
            event.preventDefault();
            logIn(form.elements.token.value);
          });
          var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
          if (!match) return;
          history.replaceState(null, "", location.pathname + location.search);
          logIn(decodeURIComponent(match[1]));
        })();
        """

    static func scriptResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: script)))
    }
}
