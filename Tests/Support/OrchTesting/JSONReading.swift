import Foundation
import PluginAPI

/// Parses a reply or an event body as JSON.
public func json(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

/// The elements of a JSON array (none if it is not one).
public func elements(_ value: JSONValue?) -> [JSONValue] {
    if case .array(let items)? = value { return items }
    return []
}
