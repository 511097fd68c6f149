import Foundation
import HTTPTypes

/// Who may use the server. On a developer's machine every web page the user visits can
/// reach 127.0.0.1, so a browser request is trusted only when its `Host` is one of ours
/// (no DNS rebinding) and its `Origin` is ours or configured; unless `auth = "none"`,
/// every request must also carry the token (Bearer header or the login cookie), and an
/// address that keeps presenting wrong ones is told to wait (`LoginThrottle`).
struct SecurityPolicy: Sendable {
    static let cookieName = "orch_token"

    let loopbackOnly: Bool
    let allowedOrigins: Set<String>
    let corsOrigins: Set<String>
    let token: [UInt8]?
    let throttle: LoginThrottle
    /// Host names (without port) a request may address; empty means any.
    private let allowedHostNames: Set<String>

    init(options: TransportOptions) {
        loopbackOnly = options.listen.isLoopback
        allowedOrigins = options.allowedOrigins
        corsOrigins = options.corsOrigins
        token = options.authToken.map { Array($0.utf8) }
        throttle = LoginThrottle(limit: options.authAttempts, window: options.authWindow)
        var names: Set<String> = []
        if loopbackOnly {
            names = ["127.0.0.1", "localhost", "[::1]", options.listen.host]
            for origin in allowedOrigins.union(corsOrigins) {
                if let host = URL(string: origin)?.host { names.insert(host.contains(":") ? "[\(host)]" : host) }
            }
        }
        allowedHostNames = names
    }

    /// Whether the request names a host we serve. Checked for every request.
    func checkHost(_ request: Credentials) throws(APIError) {
        // Two Host headers could name two hosts, one checked here and another acted on elsewhere (RFC 9112, section 3.2).
        guard request.hostHeaders <= 1 else {
            throw .badRequest("duplicate_host", "the request has \(request.hostHeaders) Host headers; send exactly one")
        }
        guard !allowedHostNames.isEmpty else { return }
        let host = request.host ?? ""
        guard allowedHostNames.contains(Self.hostName(host).lowercased()) else {
            throw APIError(.forbidden, "host_not_allowed", "Host \"\(host.prefix(100))\" is not served here; use http://127.0.0.1 or a configured origin")
        }
    }

    /// Browsers send `Origin` on every WebSocket upgrade and cross-site POST; a request
    /// without one comes from a script, which the Host check and the token govern. So
    /// does a `ws:`/`wss:` origin, which no browser sends (WebSocket client libraries do).
    /// Every Origin header must pass, so a second one cannot smuggle a request through.
    func checkOrigin(_ request: Credentials) throws(APIError) {
        for origin in request.origins.map({ $0.lowercased() }) where !origin.hasPrefix("ws://") && !origin.hasPrefix("wss://") {
            if allowedOrigins.contains(origin) || corsOrigins.contains(origin) { continue }
            let host = (request.host ?? "").lowercased()
            // The server's own origin: the page it served talks back to the same host.
            if allowedOrigins.isEmpty, !host.isEmpty, origin == "http://\(host)" || origin == "https://\(host)" { continue }
            throw APIError(.forbidden, "origin_not_allowed", "Origin \(origin.prefix(100)) may not use this server; add it to allowed_origins if it should")
        }
    }

    /// `address` is the client's IP address, which wrong tokens are counted against.
    func checkToken(_ request: Credentials, from address: String?) throws(APIError) {
        guard token != nil else { return }
        let presented = request.bearer ?? request.cookie(named: Self.cookieName)?.removingPercentEncoding
        guard let presented else {
            throw APIError(.unauthorized, "missing_token", "this server requires a token: send Authorization: Bearer <token>, or open the console URL orch serve prints (it logs you in)")
        }
        guard try checkAttempt(presented, from: address) else {
            throw APIError(.unauthorized, "invalid_token", "the token is wrong")
        }
    }

    /// Whether `candidate` is the token, counting a wrong one against `address`; 429 while
    /// the address has used up its attempts, before the token is even compared.
    func checkAttempt(_ candidate: String, from address: String?) throws(APIError) -> Bool {
        guard let token else { return true }
        let address = address ?? "unknown"
        if let wait = throttle.retryAfter(address) {
            let seconds = LoginThrottle.seconds(wait)
            var error = APIError(.tooManyRequests, "too_many_attempts",
                                 "too many wrong tokens from \(address.prefix(64)): \(throttle.limit) within \(LoginThrottle.seconds(throttle.window)) s (auth_attempts, auth_window_s); retry in \(seconds) s")
            error.retryAfter = seconds
            throw error
        }
        guard Self.constantTimeEqual(Array(candidate.utf8), token) else {
            throttle.recordFailure(address)
            return false
        }
        return true
    }

    /// All three checks, as a WebSocket upgrade needs them: nil when the request may proceed.
    func refusal(_ request: Credentials, from address: String?) -> APIError? {
        do throws(APIError) {
            try checkHost(request)
            try checkOrigin(request)
            try checkToken(request, from: address)
            return nil
        } catch {
            return error
        }
    }

    var requiresToken: Bool { token != nil }

    func isCORSOrigin(_ origin: String?) -> Bool { origin.map { corsOrigins.contains($0.lowercased()) } ?? false }

    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]) }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// Comparing in constant time so response timing does not leak the token's prefix.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

/// The parts of a request the policy looks at, from either HTTP type the server meets
/// (HTTPTypes for requests, NIOHTTP1 for upgrade handshakes).
struct Credentials: Sendable {
    var host: String?
    var origins: [String]
    var authorization: String?
    var cookies: [String]
    var hostHeaders = 1

    var bearer: String? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        return String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    func cookie(named name: String) -> String? {
        for header in cookies {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}

extension Credentials {
    private static let hostField = HTTPField.Name("Host")!

    init(_ request: HTTPRequest) {
        // NIO keeps the first Host as the authority and any further ones as fields.
        self.init(host: request.authority, origins: request.headerFields[values: .origin],
                  authorization: request.headerFields[.authorization], cookies: request.headerFields[values: .cookie],
                  hostHeaders: (request.authority == nil ? 0 : 1) + request.headerFields[values: Self.hostField].count)
    }
}
