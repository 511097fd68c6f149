import Foundation

/// The rules a chat request's fields follow, whoever checks them: the host's turn
/// engine, and a transport that answers a bad request before asking the host. One
/// home, so every side refuses the same input with the same code and text.
public enum ChatRequestRules {
    /// A chat message: not blank, and at most `limit` bytes of UTF-8 (`[host] max_message_bytes`).
    public static func validateMessage(_ message: String, limit: Int) throws(PluginError) {
        guard !message.allSatisfy(\.isWhitespace) else {
            throw .invalid("empty_message", "message is empty; type something to send")
        }
        let size = message.utf8.count
        guard size <= limit else {
            throw .invalid("message_too_large", "message is \(size) bytes; the limit is \(limit) bytes ([host] max_message_bytes)")
        }
    }

    /// An id a client sent, named by `field`; returns it in the lowercase form the host and stores use.
    /// The stores check their arguments with this rule too (`StoreRules.uuid`).
    @discardableResult
    public static func validateUUID(_ text: String, field: String) throws(PluginError) -> String {
        guard text.utf8.count == 36, let uuid = UUID(uuidString: text) else {
            throw .invalid("invalid_uuid", "\(field) must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"\(text.prefix(80))\"")
        }
        return uuid.uuidString.lowercased()
    }
}
