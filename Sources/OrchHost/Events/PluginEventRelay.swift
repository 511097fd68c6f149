import Foundation
import Logging
import PluginAPI

/// Takes events that plugins publish (`host->publish`) onto the bus. A plugin
/// event must carry a wire message: a JSON object with a string "type".
public struct PluginEventRelay: HostEventSink {
    let bus: EventBus
    let logger: Logger

    public init(bus: EventBus, logger: Logger) {
        self.bus = bus
        self.logger = logger
    }

    public func publish(_ view: EventView, from plugin: String) {
        let json = view.json.data
        guard view.payload["type"]?.stringValue != nil else {
            logger.warning("dropped an event from \(plugin): its json must be an object with a string \"type\" (kind \(view.kind.rawValue), \(json.count) bytes)")
            return
        }
        bus.publish(Event(kind: .wire, orchestratorID: view.orchestratorID.string, messageID: view.messageID.string,
                          turnID: view.turnID.string, text: view.text.string, json: json))
    }
}
