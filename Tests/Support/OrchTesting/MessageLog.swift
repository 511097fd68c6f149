import Foundation
import PluginAPI

/// What a test client received, in order, with waits that have deadlines.
/// Subclasses read on their own thread and `record` each message.
open class MessageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [JSONValue] = []
    private var written: [JSONValue] = []
    private var ended = false

    public init() {}

    public func record(_ message: JSONValue) { lock.withLock { received.append(message) } }
    public func recordSent(_ message: JSONValue) { lock.withLock { written.append(message) } }
    public func end() { lock.withLock { ended = true } }

    public var lines: [JSONValue] { lock.withLock { received } }
    /// The JSON messages sent (not raw bytes).
    public var sent: [JSONValue] { lock.withLock { written } }
    /// The server closed the connection.
    public var isClosed: Bool { lock.withLock { ended } }

    /// Host events (messages with a seq), in the order received.
    public var events: [JSONValue] { lines.filter { $0["seq"] != nil } }
    public func of(type: String) -> [JSONValue] { lines.filter { $0["type"]?.stringValue == type } }

    /// Waits until `condition` holds for the messages received, with a deadline.
    public func waitFor(timeout: Duration = .seconds(15), _ condition: ([JSONValue]) -> Bool) async -> Bool {
        await eventually(timeout: timeout) { condition(lines) }
    }

    /// Waits for the first message of `type` after `index` messages, returning it.
    public func next(_ type: String, after index: Int = 0, timeout: Duration = .seconds(15)) async -> JSONValue? {
        _ = await waitFor(timeout: timeout) { $0.dropFirst(index).contains { $0["type"]?.stringValue == type } }
        return lines.dropFirst(index).first { $0["type"]?.stringValue == type }
    }
}