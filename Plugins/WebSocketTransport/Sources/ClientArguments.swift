import Foundation
import PluginAPI

/// The arguments of the host operations a client can trigger, checked the same way
/// whether they came as an HTTP body or a WebSocket frame, so both answer a bad
/// input with the same code and message before the host is asked anything.
struct ClientArguments {
    /// The whole object, for operations whose fields the host checks (`create_agent`).
    let object: [String: JSONValue]

    init(_ object: [String: JSONValue]) { self.object = object }

    /// Parses a request body or frame: a JSON object, or `invalid_json`.
    init(json: some Collection<UInt8>) throws(APIError) {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(json)) } catch {
            throw .badRequest("invalid_json", "the body is not valid JSON; send a JSON object")
        }
        guard case .object(let object) = value else {
            throw .badRequest("invalid_json", "the body must be a JSON object, found \(value.typeName)")
        }
        self.object = object
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let value = present(key) else { return nil }
        guard let string = value.stringValue else { throw .badRequest("invalid_request", "\(key) must be a string, found \(value.typeName)") }
        return string
    }

    func required(_ key: String) throws(APIError) -> String {
        guard let string = try string(key) else { throw .badRequest("invalid_request", "missing field \"\(key)\"") }
        return string
    }

    /// A UUID, normalized to the lowercase form the host and stores use.
    func uuid(_ key: String, required isRequired: Bool = true) throws(APIError) -> String? {
        guard let text = isRequired ? try required(key) : try string(key) else { return nil }
        do { return try ChatRequestRules.validateUUID(text, field: key) } catch { throw APIError(error) }
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        guard let value = present(key) else { return nil }
        guard case .int(let int) = value else { throw .badRequest("invalid_request", "\(key) must be an integer, found \(value.typeName)") }
        guard range.contains(int) else { throw .badRequest("invalid_request", "\(key) must be between \(range.lowerBound) and \(range.upperBound), got \(int)") }
        return int
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard let bool = value.boolValue else { throw .badRequest("invalid_request", "\(key) must be true or false, found \(value.typeName)") }
        return bool
    }

    /// A chat message, checked by the host's rule so it is refused here, before the host is asked.
    func message(limit: Int) throws(APIError) -> String {
        let message = try required("message")
        do { try ChatRequestRules.validateMessage(message, limit: limit) } catch { throw APIError(error) }
        return message
    }

    /// JSON null counts as absent, as clients often send optional fields as null.
    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }
}
