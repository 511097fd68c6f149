import Foundation

/// The status of a completed request, as it crosses the ABI (`ORCH_OK`, `ORCH_ERR_*`).
public enum Status: Int32, Sendable, Codable {
    case ok = 0, invalid, notFound, conflict, unsupported, unavailable, cancelled, timeout, `internal`

    /// Unknown codes from a newer peer read as `.internal`, as the header specifies.
    public init(code: Int32) { self = Status(rawValue: code) ?? .internal }
}

/// An error that crosses the plugin boundary: a status plus the JSON body
/// `{"code","message","retryable"}` that travels with it.
public struct PluginError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Status
    /// A stable snake_case code a client can branch on, e.g. `unknown_orchestrator`.
    public var code: String
    /// For a human: what was wrong and what to do.
    public var message: String
    public var retryable: Bool

    public init(_ status: Status, code: String, _ message: String, retryable: Bool? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable ?? (status == .unavailable || status == .timeout)
    }

    public static func invalid(_ code: String, _ message: String) -> PluginError { .init(.invalid, code: code, message) }
    public static func notFound(_ code: String, _ message: String) -> PluginError { .init(.notFound, code: code, message) }
    public static func unsupported(_ message: String) -> PluginError { .init(.unsupported, code: "unsupported", message) }
    public static func unavailable(_ code: String, _ message: String) -> PluginError { .init(.unavailable, code: code, message) }
    public static func `internal`(_ message: String) -> PluginError { .init(.internal, code: "internal", message) }

    public var description: String { "\(code): \(message)" }

    private struct Body: Codable { var code: String; var message: String; var retryable: Bool }

    public var body: Data {
        (try? JSONEncoder().encode(Body(code: code, message: message, retryable: retryable))) ?? Data()
    }

    /// Reads an error body from a peer, keeping whatever it says even if the body is not the documented shape.
    public init(status: Status, body: Data) {
        if let decoded = try? JSONDecoder().decode(Body.self, from: body) {
            self.init(status, code: decoded.code, decoded.message, retryable: decoded.retryable)
        } else {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
            self.init(status, code: "\(status)", text.isEmpty ? "the peer reported \(status) without a message" : text)
        }
    }

    /// Any Swift error, as it must cross the boundary: nothing unwinds through C.
    public init(_ error: any Error) {
        if let error = error as? PluginError { self = error; return }
        if error is CancellationError { self.init(.cancelled, code: "cancelled", "the request was cancelled"); return }
        if error is DecodingError { self.init(.invalid, code: "invalid_request", "the request does not match the expected JSON: \(error)"); return }
        self.init(.internal, code: "internal", String(describing: error))
    }
}
