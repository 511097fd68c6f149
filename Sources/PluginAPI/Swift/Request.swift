import Foundation

/// A control-plane request as it arrives at either side of the ABI: a JSON
/// object whose `"op"` names the operation.
public struct Request: Sendable {
    public let op: String
    public let json: Data

    private struct Envelope: Decodable { let op: String }

    public init(json: Data) throws(PluginError) {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: json) else {
            throw .invalid("invalid_request", "a request must be a JSON object with a string \"op\"; got \(String(decoding: json.prefix(120), as: UTF8.self))")
        }
        self.op = envelope.op
        self.json = json
    }

    /// A request whose operation is implied by the call that carries it (a turn).
    public init(op: String, json: Data) {
        self.op = op
        self.json = json
    }

    /// Decodes the request's arguments, turning a mismatch into an `invalid_request` error that names the op.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(PluginError) -> T {
        do { return try JSONDecoder().decode(type, from: json) } catch let error as PluginError {
            throw error // a type that validates while decoding reports its own rule
        } catch {
            throw .invalid("invalid_request", "\(op): \(Request.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field \"\(path(context))\": \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "field \"\(path(context))\": \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}

/// An empty JSON object, the body of a request or reply with nothing to say.
public let emptyJSONObject = Data("{}".utf8)
