import PluginAPI

/// Where events that plugins publish (`host->publish`) go.
public protocol HostEventSink: Sendable {
    func publish(_ event: EventView, from plugin: String)
}
