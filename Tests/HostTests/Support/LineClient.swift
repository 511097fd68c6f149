@testable import orch
import Foundation
import PluginAPI

/// A client of the UnixSocketTransport for tests: it sends JSON lines and
/// keeps every line it receives, read on its own thread so waiting never
/// blocks the Swift concurrency pool the tests share.
final class LineClient: @unchecked Sendable {
    let connection: ChatConnection
    private let lock = NSLock()
    private var received: [JSONValue] = []
    private var written: [JSONValue] = []
    private var rawLines: [Data] = []
    private var ended = false

    /// Connects; with `reading: false` nothing is read until `startReading()`
    /// (a client that stalls).
    init(_ path: String, reading: Bool = true) throws {
        connection = try ChatConnection.connect(path: path)
        if reading { startReading() }
    }

    func startReading() {
        Thread { [self] in
            while let line = connection.readLine() {
                let value = (try? JSON.decode(JSONValue.self, from: line)) ?? .null
                lock.withLock {
                    rawLines.append(line)
                    received.append(value)
                }
            }
            lock.withLock { ended = true }
        }.start()
    }

    func send(_ message: JSONValue) throws {
        lock.withLock { written.append(message) }
        try connection.send(message)
    }
    func sendRaw(_ bytes: Data) throws { try connection.sendRaw(bytes) }
    func sendRaw(_ text: String) throws { try connection.sendRaw(Data(text.utf8)) }
    func close() { connection.close() }

    var lines: [JSONValue] { lock.withLock { received } }
    /// The JSON messages sent with `send` (not the raw bytes of `sendRaw`).
    var sent: [JSONValue] { lock.withLock { written } }
    var raw: [Data] { lock.withLock { rawLines } }
    /// The server closed the connection.
    var isClosed: Bool { lock.withLock { ended } }

    /// Host events (lines with a seq), in the order received.
    var events: [JSONValue] { lines.filter { $0["seq"] != nil } }
    func of(type: String) -> [JSONValue] { lines.filter { $0["type"]?.stringValue == type } }

    /// Waits until `condition` holds for the lines received, with a deadline.
    func waitFor(timeout: Duration = .seconds(15), _ condition: ([JSONValue]) -> Bool) async -> Bool {
        await eventually(timeout: timeout) { condition(lines) }
    }

    /// Waits for the first line of `type` after `index` lines, returning it.
    func next(_ type: String, after index: Int = 0, timeout: Duration = .seconds(15)) async -> JSONValue? {
        _ = await waitFor(timeout: timeout) { $0.dropFirst(index).contains { $0["type"]?.stringValue == type } }
        return lines.dropFirst(index).first { $0["type"]?.stringValue == type }
    }

    /// Sends a request and returns the reply of `replyType` that follows it.
    func ask(_ message: JSONValue, reply replyType: String = "ack", timeout: Duration = .seconds(15)) async throws -> JSONValue? {
        let before = lines.count
        try send(message)
        return await next(replyType, after: before, timeout: timeout)
    }

    /// The orchestrator id, asked the way a client does.
    func orchestratorID() async throws -> String {
        try await ask(["type": "get_orchestrator"])?["orchestrator"]?["id"]?.stringValue ?? ""
    }
}

/// The elements of a JSON array (none if it is not one).
func elements(_ value: JSONValue?) -> [JSONValue] {
    if case .array(let items)? = value { return items }
    return []
}
