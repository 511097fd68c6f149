import Foundation
import PluginAPI

/// What a test client received, in order, with waits that have deadlines.
/// Subclasses read on their own thread and `record` each message.
class MessageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [JSONValue] = []
    private var written: [JSONValue] = []
    private var ended = false

    func record(_ message: JSONValue) { lock.withLock { received.append(message) } }
    func recordSent(_ message: JSONValue) { lock.withLock { written.append(message) } }
    func end() { lock.withLock { ended = true } }

    var lines: [JSONValue] { lock.withLock { received } }
    /// The JSON messages sent (not raw bytes).
    var sent: [JSONValue] { lock.withLock { written } }
    /// The server closed the connection.
    var isClosed: Bool { lock.withLock { ended } }

    /// Host events (messages with a seq), in the order received.
    var events: [JSONValue] { lines.filter { $0["seq"] != nil } }
    func of(type: String) -> [JSONValue] { lines.filter { $0["type"]?.stringValue == type } }

    /// Waits until `condition` holds for the messages received, with a deadline.
    func waitFor(timeout: Duration = .seconds(15), _ condition: ([JSONValue]) -> Bool) async -> Bool {
        await eventually(timeout: timeout) { condition(lines) }
    }

    /// Waits for the first message of `type` after `index` messages, returning it.
    func next(_ type: String, after index: Int = 0, timeout: Duration = .seconds(15)) async -> JSONValue? {
        _ = await waitFor(timeout: timeout) { $0.dropFirst(index).contains { $0["type"]?.stringValue == type } }
        return lines.dropFirst(index).first { $0["type"]?.stringValue == type }
    }
}

/// The elements of a JSON array (none if it is not one).
func elements(_ value: JSONValue?) -> [JSONValue] {
    if case .array(let items)? = value { return items }
    return []
}
