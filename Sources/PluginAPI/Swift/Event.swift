import Foundation

/// The kinds of `orch_event`, with the payload conventions the header documents.
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let textDelta = EventKind(rawValue: ORCH_EVENT_TEXT_DELTA)
    public static let thinkingDelta = EventKind(rawValue: ORCH_EVENT_THINKING_DELTA)
    public static let toolUse = EventKind(rawValue: ORCH_EVENT_TOOL_USE)
    public static let toolResult = EventKind(rawValue: ORCH_EVENT_TOOL_RESULT)
    public static let blockFinal = EventKind(rawValue: ORCH_EVENT_BLOCK_FINAL)
    public static let draftWithdrawn = EventKind(rawValue: ORCH_EVENT_DRAFT_WITHDRAWN)
    public static let retry = EventKind(rawValue: ORCH_EVENT_RETRY)
    public static let status = EventKind(rawValue: ORCH_EVENT_STATUS)
    /// Since ABI 1.2: a hook of the agent fired during the turn (json `{hook_event_name, session_id, tool_name?, tool_use_id?, input}`).
    public static let hook = EventKind(rawValue: ORCH_EVENT_HOOK)
    public static let wire = EventKind(rawValue: ORCH_EVENT_WIRE)
    public static let custom = EventKind(rawValue: ORCH_EVENT_CUSTOM)

    public var description: String { "event kind \(rawValue)" }
}

/// An event owned by Swift. Cross the boundary with `withCEvent`.
public struct Event: Sendable, Equatable {
    public var kind: EventKind
    public var seq: UInt64
    public var orchestratorID: String
    public var messageID: String
    public var turnID: String
    public var text: String
    public var json: Data

    public init(kind: EventKind, seq: UInt64 = 0, orchestratorID: String = "", messageID: String = "",
                turnID: String = "", text: String = "", json: Data = Data()) {
        self.kind = kind
        self.seq = seq
        self.orchestratorID = orchestratorID
        self.messageID = messageID
        self.turnID = turnID
        self.text = text
        self.json = json
    }

    /// Copies a borrowed C event, reading only the fields inside the writer's `struct_size`.
    public init(_ view: EventView) {
        self.init(kind: view.kind, seq: view.seq, orchestratorID: view.orchestratorID.string,
                  messageID: view.messageID.string, turnID: view.turnID.string,
                  text: view.text.string, json: view.json.data)
    }

    /// Lends this event as an `orch_event` for the duration of `body`.
    public func withCEvent<R>(_ body: (UnsafePointer<orch_event>) throws -> R) rethrows -> R {
        try withBytes(orchestratorID) { orchestrator in
            try withBytes(messageID) { message in
                try withBytes(turnID) { turn in
                    try withBytes(text) { text in
                        try withBytes(json) { json in
                            var event = orch_event(
                                struct_size: UInt32(MemoryLayout<orch_event>.size), kind: kind.rawValue, seq: seq,
                                orchestrator_id: orchestrator, message_id: message, turn_id: turn, text: text, json: json)
                            return try body(&event)
                        }
                    }
                }
            }
        }
    }
}

/// A borrowed `orch_event`, valid only during the call that lends it. Fields
/// beyond the writer's `struct_size` read as empty, so older writers are safe.
public struct EventView {
    public let pointer: UnsafePointer<orch_event>
    public init(_ pointer: UnsafePointer<orch_event>) { self.pointer = pointer }

    private func has<T>(_ field: KeyPath<orch_event, T>) -> Bool {
        guard let offset = MemoryLayout<orch_event>.offset(of: field) else { return false }
        return Int(pointer.pointee.struct_size) >= offset + MemoryLayout<T>.size
    }

    public var kind: EventKind { EventKind(rawValue: pointer.pointee.kind) }
    public var seq: UInt64 { has(\.seq) ? pointer.pointee.seq : 0 }
    public var orchestratorID: orch_bytes { has(\.orchestrator_id) ? pointer.pointee.orchestrator_id : .empty }
    public var messageID: orch_bytes { has(\.message_id) ? pointer.pointee.message_id : .empty }
    public var turnID: orch_bytes { has(\.turn_id) ? pointer.pointee.turn_id : .empty }
    public var text: orch_bytes { has(\.text) ? pointer.pointee.text : .empty }
    public var json: orch_bytes { has(\.json) ? pointer.pointee.json : .empty }

    /// `json` parsed; `.null` when it is empty or not JSON, so a reader can look fields up without a failure path.
    public var payload: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: json.data)) ?? .null
    }
}
