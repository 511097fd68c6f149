import PluginAPI

/// Which turn is running, from the events alone. Turns run one at a time in
/// the order their user messages were saved: each user `orchestrator_chat`
/// names its turn (metadata `turn_id`), `chat_typing true` starts the oldest
/// waiting one, `turn_complete` ends it. A turn accepted before this client
/// connected runs as `unknown`.
struct ChatTurns: Equatable {
    enum Running: Equatable {
        case none
        case unknown
        case turn(String)
    }

    private(set) var waiting: [String] = []
    private(set) var running: Running = .none

    var isRunning: Bool { running != .none }

    mutating func observe(_ event: JSONValue) {
        switch event["type"]?.stringValue {
        case "orchestrator_chat":
            let message = event["message"] ?? .null
            if message["sender_type"]?.stringValue == "user", let turn = message["metadata"]?["turn_id"]?.stringValue {
                waiting.append(turn)
            }
        case "chat_typing" where event["is_typing"]?.boolValue == true:
            running = waiting.isEmpty ? .unknown : .turn(waiting.removeFirst())
        case "turn_complete":
            let turn = event["turn_id"]?.stringValue ?? ""
            if running == .turn(turn) || (running == .unknown && !waiting.contains(turn)) { running = .none }
            waiting.removeAll { $0 == turn }
        default:
            break
        }
    }
}
