import Foundation
import OrchHost
import PluginAPI

/// Collects what plugins publish, for tests to wait on with `eventually`.
public final class Recorder: HostEventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Event] = []

    public init() {}

    public func publish(_ event: EventView, from plugin: String) {
        let copy = Event(event)
        lock.withLock { recorded.append(copy) }
    }

    public var events: [Event] { lock.withLock { recorded } }
}
