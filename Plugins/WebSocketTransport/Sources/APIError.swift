import HTTPTypes
import PluginAPI

/// An error a client gets back: over HTTP as `{status:"error", error:{code, message}}`
/// with `status`, over the WebSocket as an `error` frame with the same code and message.
struct APIError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    /// Seconds for `Retry-After` (a 429 `too_many_attempts`).
    var retryAfter: Int? = nil

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { .init(.badRequest, code, message) }

    /// A host error, keeping the host's code and message. The code decides the status
    /// where the host's contract names it; otherwise the ABI status does.
    init(_ error: PluginError) {
        self.init(Self.status(code: error.code) ?? Self.status(error.status), error.code, error.message)
    }

    init(_ error: any Error) {
        if let error = error as? APIError { self = error; return }
        self.init(PluginError(error))
    }

    /// `message_too_large` is a 400: the message field broke a rule. 413 is kept for
    /// a request body over `max_body_bytes`, which is refused before it is read.
    static func status(code: String) -> HTTPResponse.Status? {
        switch code {
        case "invalid_request", "invalid_json", "invalid_uuid", "empty_message", "message_too_large": .badRequest
        case "unknown_orchestrator", "unknown_message": .notFound
        case "turn_in_progress": .conflict
        case "store_unavailable", "backend_unavailable": .serviceUnavailable
        default: nil
        }
    }

    static func status(_ status: Status) -> HTTPResponse.Status {
        switch status {
        case .ok, .internal: .internalServerError
        case .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .unsupported: .notImplemented
        // The host is shutting down or dropped the work: a retry after restart may succeed.
        case .unavailable, .cancelled: .serviceUnavailable
        case .timeout: .gatewayTimeout
        }
    }

    var json: JSONValue {
        .object(["status": .string("error"), "error": .object(["code": .string(code), "message": .string(message)])])
    }
}
