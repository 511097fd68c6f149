import Foundation
import PluginAPI

/// `[transports.options]` of a WebSocketTransport, validated once at create time so a
/// bad value stops startup with a message instead of surfacing on the first request.
struct TransportOptions: Sendable {
    var listen: ListenAddress
    var staticDir: String
    /// Origins allowed to open a WebSocket or send a state-changing request.
    var allowedOrigins: Set<String>
    /// Whether requests need a token, and which (AuthToken.swift).
    var auth: AuthSetting
    var authToken: String? { auth.token }
    /// Wrong tokens an address may present per `authWindow` before it gets 429.
    var authAttempts: Int
    var authWindow: Duration
    var maxBodyBytes: Int
    var maxFrameBytes: Int
    var heartbeat: Duration
    var clientQueueLimit: Int
    /// Bytes of frames a client may fall behind by (with `clientQueueLimit` frames, its `OutboundBudget`).
    var clientQueueBytes: Int
    var corsOrigins: Set<String>
    /// How long a request head may take to arrive, from the connection's first byte (or its accept).
    var headTimeout: Duration
    /// How long a request body may take, in total, from the end of its head.
    var bodyTimeout: Duration
    /// How long a keep-alive connection may sit between requests.
    var idleTimeout: Duration
    /// Open sockets (HTTP and WebSocket) beyond which new ones are refused with 503.
    var maxConnections: Int
    /// HTTPS and WSS instead of HTTP and WS, when both files are set.
    var tls: TLSFiles?

    static let knownKeys = ["listen", "static_dir", "allowed_origins", "auth_token", "max_body_bytes", "max_frame_bytes",
                            "heartbeat_s", "client_queue_limit", "client_queue_bytes", "cors_origins", "head_timeout_s", "body_timeout_s",
                            "idle_timeout_s", "max_connections", "tls_cert", "tls_key", "auth", "token_file", "auth_attempts", "auth_window_s"]
    static let defaultTokenFile = ".orch/auth-token"

    init(json: Data, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PluginError) {
        guard case .object(let table)? = try? JSON.decode(JSONValue.self, from: json) else {
            throw Self.invalid("the options must be a table")
        }
        for key in table.keys.sorted() where !Self.knownKeys.contains(key) {
            throw Self.invalid("unknown option \"\(key)\"; valid options are \(Self.knownKeys.joined(separator: ", "))")
        }
        let options = OptionsTable(table)
        listen = try ListenAddress(try options.string("listen") ?? "127.0.0.1:9403")
        staticDir = try options.string("static_dir") ?? "frontend/dist"
        maxBodyBytes = try options.positive("max_body_bytes") ?? 1 << 20
        maxFrameBytes = try options.positive("max_frame_bytes") ?? 256 * 1024
        clientQueueLimit = try options.positive("client_queue_limit") ?? 4096
        clientQueueBytes = try options.positive("client_queue_bytes") ?? 4 << 20
        heartbeat = try options.seconds("heartbeat_s", default: 20, max: 3600)
        headTimeout = try options.seconds("head_timeout_s", default: 10, max: 86400)
        bodyTimeout = try options.seconds("body_timeout_s", default: 30, max: 86400)
        idleTimeout = try options.seconds("idle_timeout_s", default: 60, max: 86400)
        maxConnections = try options.positive("max_connections") ?? ConnectionCap.defaultLimit()
        tls = try TLSFiles.from(certificate: try options.string("tls_cert"), key: try options.string("tls_key"))
        corsOrigins = Set(try options.strings("cors_origins").map(Self.origin))
        allowedOrigins = Set(try options.strings("allowed_origins").map(Self.origin))
        authAttempts = try options.positive("auth_attempts") ?? 10
        authWindow = try options.seconds("auth_window_s", default: 60, max: 86400)
        // Last, once everything else is valid: it may create the token file.
        auth = try Self.auth(options, listen: listen, environment: environment)
    }

    /// `auth = "none"` (loopback only), else `auth_token` / `$ORCH_AUTH_TOKEN`, else `token_file`.
    private static func auth(_ options: OptionsTable, listen: ListenAddress, environment: [String: String]) throws(PluginError) -> AuthSetting {
        let mode = try options.string("auth") ?? "token"
        let option = try options.string("auth_token").flatMap { $0.isEmpty ? nil : $0 }
        let variable = environment["ORCH_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let tokenFile = try options.string("token_file") ?? defaultTokenFile
        switch mode {
        case "none":
            guard listen.isLoopback else {
                throw PluginError.invalid("auth_required", "refusing auth = \"none\" on \(listen): only a loopback listen address may turn the token off, since anyone who can reach it could drive an agent with shell access; remove auth = \"none\" (the token in token_file is then required), or listen on 127.0.0.1")
            }
            if option != nil || variable != nil {
                throw invalid("auth = \"none\" contradicts the token set in \(option != nil ? "auth_token" : "$ORCH_AUTH_TOKEN"); remove one of them")
            }
            return .none
        case "token":
            if let option {
                try AuthSetting.checkLength(option, from: "auth_token")
                return .token(option, source: .configured)
            }
            if let variable {
                try AuthSetting.checkLength(variable, from: "$ORCH_AUTH_TOKEN")
                return .token(variable, source: .configured)
            }
            guard !tokenFile.isEmpty else { throw invalid("token_file must be a path, e.g. \"\(defaultTokenFile)\"") }
            return try TokenFile.loadOrCreate(tokenFile)
        default:
            throw invalid("auth must be \"token\" (the default: every request needs the token) or \"none\" (loopback only), got \"\(mode)\"")
        }
    }

    /// A message must fit in a body and in a frame, or the host's message limit could never be reached:
    /// an over-long request would be cut off as a body or frame instead of answered `message_too_large`.
    func checkRoom(forMessagesUpTo limit: Int) throws(PluginError) {
        guard limit < maxBodyBytes, limit < maxFrameBytes else {
            throw Self.invalid("[host] max_message_bytes (\(limit)) must be smaller than max_body_bytes (\(maxBodyBytes)) and max_frame_bytes (\(maxFrameBytes))")
        }
    }

    fileprivate static func invalid(_ message: String) -> PluginError { .invalid("invalid_options", message) }

    /// Origins compare as the browser sends them: scheme://host[:port], lowercase, no path.
    private static func origin(_ text: String) throws(PluginError) -> String {
        let lowered = text.lowercased()
        guard let url = URL(string: lowered), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
              url.path.isEmpty || url.path == "/", url.query == nil else {
            throw invalid("\"\(text)\" is not an origin; write scheme://host[:port], e.g. http://127.0.0.1:5175")
        }
        return lowered.hasSuffix("/") ? String(lowered.dropLast()) : lowered
    }
}

/// Typed reads from the options table, each failure naming the key and what it must be.
private struct OptionsTable {
    let table: [String: JSONValue]
    init(_ table: [String: JSONValue]) { self.table = table }

    func string(_ key: String) throws(PluginError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.stringValue else { throw TransportOptions.invalid("\(key) must be a string, found \(value.typeName)") }
        return string
    }

    func positive(_ key: String) throws(PluginError) -> Int? {
        guard let value = table[key] else { return nil }
        guard case .int(let int) = value, int > 0, int <= Int64(Int32.max) else {
            throw TransportOptions.invalid("\(key) must be a positive integer, found \(value.typeName == "an integer" ? "\(value.intValue ?? 0)" : value.typeName)")
        }
        return Int(int)
    }

    func number(_ key: String) throws(PluginError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.doubleValue else { throw TransportOptions.invalid("\(key) must be a number, found \(value.typeName)") }
        return number
    }

    /// A duration in seconds, fractions allowed (tests use short ones), within (0, max].
    func seconds(_ key: String, default fallback: Double, max: Double) throws(PluginError) -> Duration {
        let seconds = try number(key) ?? fallback
        guard seconds > 0, seconds <= max else {
            throw TransportOptions.invalid("\(key) must be more than 0 and at most \(Int(max)) seconds, got \(seconds)")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    func strings(_ key: String) throws(PluginError) -> [String] {
        guard let value = table[key] else { return [] }
        guard case .array(let items) = value else { throw TransportOptions.invalid("\(key) must be an array of strings, found \(value.typeName)") }
        var strings: [String] = []
        for item in items {
            guard let string = item.stringValue else { throw TransportOptions.invalid("\(key) must be an array of strings, found \(item.typeName) in it") }
            strings.append(string)
        }
        return strings
    }
}
/// `host:port` to bind; `[::1]:9403` for IPv6.
struct ListenAddress: Sendable, CustomStringConvertible {
    let host: String
    let port: Int

    init(_ text: String) throws(PluginError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw .invalid("invalid_options", "listen must be host:port (e.g. 127.0.0.1:9403), got \"\(text)\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .invalid("invalid_options", "listen needs a host before the port, got \"\(text)\"") }
        self.host = host
        self.port = port
        isLoopback = LoopbackHost.isLoopback(host)
    }

    /// Decided once, by the addresses `host` resolves to (`LoopbackHost`).
    let isLoopback: Bool
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
