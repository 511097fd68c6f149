import Foundation
import OrchHost
import PluginAPI

/// Collects what plugins publish, and waits for a condition with a deadline.
final class Recorder: HostEventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Event] = []

    func publish(_ event: EventView, from plugin: String) {
        let copy = Event(event)
        lock.withLock { recorded.append(copy) }
    }

    var events: [Event] { lock.withLock { recorded } }
}

/// Polls `condition` until it holds or `timeout` passes; never a fixed sleep.
func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try condition()
}

/// The same, for conditions that must ask something asynchronously (a store, a plugin).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// A host request table with the operations a bare test needs.
func testRequests() -> HostRequests {
    let requests = HostRequests()
    requests.register("ping") { _, _ in Data(#"{"pong":true}"#.utf8) }
    return requests
}

func json(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }
