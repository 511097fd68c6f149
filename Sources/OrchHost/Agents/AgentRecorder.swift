import Foundation
import PluginAPI
import StoreModel

/// One agent command's stream, turned into `agent_logs` rows and `agent_log` events.
/// Rows are written in arrival order through the agent's outbox; the store hands out the
/// per-agent `seq`, so an event is published once its row is saved, carrying that seq.
/// Deltas are not logged: the finished block is. The backend calls `handle` in order and
/// never concurrently (the sink contract).
final class AgentRecorder: @unchecked Sendable {
    struct Counts: Sendable, Equatable {
        var responses = 0, tools = 0, hooks = 0, thinking = 0
    }

    let agentID: String
    let orchestratorID: String
    let turnID: String
    let sessionID: String
    private let store: StoreAPI
    private let bus: EventBus
    private let outbox: Outbox
    /// Called with each API call's estimated cost and the size of the context it sent, as usage
    /// arrives (budgets are checked mid-turn; cards show how full the context is).
    private let onUsage: @Sendable (_ cost: Double, _ contextTokens: Int64) -> Void
    private let holds: HoldTimes
    private let lock = NSLock()
    private var counts = Counts()
    private var lastText = ""
    private var lastTool: String?
    private var failedResult: JSONValue?

    init(agentID: String, orchestratorID: String, turnID: String, sessionID: String, store: StoreAPI, bus: EventBus, outbox: Outbox,
         holds: HoldTimes, onUsage: @escaping @Sendable (_ cost: Double, _ contextTokens: Int64) -> Void) {
        self.holds = holds
        self.agentID = agentID
        self.orchestratorID = orchestratorID
        self.turnID = turnID
        self.sessionID = sessionID
        self.store = store
        self.bus = bus
        self.outbox = outbox
        self.onUsage = onUsage
    }

    /// The last text block the agent wrote: the command's result as the orchestrator reads it.
    var reply: String { lock.withLock { lastText } }
    var activity: (counts: Counts, lastTool: String?) { lock.withLock { (counts, lastTool) } }
    /// A failed command's accounting (`STATUS turn_failed`), for its spend.
    var accountingOfFailure: JSONValue? { lock.withLock { failedResult?["result"] } }

    func handle(_ event: EventView) {
        let started = ContinuousClock.now
        defer { holds.record(ContinuousClock.now - started) }
        switch event.kind {
        case .blockFinal:
            let info = event.payload
            let text = event.text.string
            let thinking = info["kind"]?.stringValue == "thinking"
            // Text of Claude's own nested sub-agent is logged (with its parent) but is not the agent's reply.
            let nested = info["parent_tool_use_id"]?.stringValue != nil
            lock.withLock {
                if thinking { counts.thinking += 1 } else if !nested { counts.responses += 1; lastText = text }
            }
            log(.response, thinking ? "thinking" : "text", content: text, payload: Self.object(info))
        case .toolUse:
            let tool = event.payload
            let name = tool["name"]?.stringValue ?? "tool"
            lock.withLock { counts.tools += 1; lastTool = name }
            log(.response, "tool_use", content: name, payload: Self.object(tool))
        case .toolResult:
            let result = event.payload
            log(.response, "tool_result", content: Self.text(of: result["content"]), payload: Self.object(result))
        case .retry:
            log(.response, "retry", content: event.payload["error"]?.stringValue, payload: Self.object(event.payload))
        case .status:
            let status = event.payload
            switch status["status"]?.stringValue {
            case "usage":
                let usage = status["usage"] ?? .null
                onUsage(ModelPrices.estimate(model: status["model"]?.stringValue, usage: usage), Self.contextTokens(of: usage))
            case "turn_failed":
                lock.withLock { failedResult = status }
            default:
                log(.response, "status", content: status["status"]?.stringValue, payload: Self.object(status))
            }
        case AgentRecorder.hookKind:
            let hook = event.payload
            lock.withLock { counts.hooks += 1 }
            log(.hook, hook["hook_event_name"]?.stringValue ?? "hook", content: hook["tool_name"]?.stringValue, payload: Self.object(hook))
        default:
            break
        }
    }

    /// `ORCH_EVENT_HOOK` (ABI 1.2): a hook the agent's CLI called back.
    static let hookKind = EventKind(rawValue: 9)

    private func log(_ category: AgentLogCategory, _ type: String, content: String?, payload: JSONValue) {
        let (store, bus, agentID, orchestratorID, turnID, sessionID) = (store, bus, agentID, orchestratorID, turnID, sessionID)
        outbox.enqueue("\(type) log of agent \(agentID)") {
            let timestamp = Timestamp.now()
            let inserted = try await store.insertAgentLog(agentID: agentID, eventCategory: category.rawValue, eventType: type, content: content,
                                                          payload: payload, sessionID: sessionID, turnID: turnID)
            // The row as saved, with the seq the store gave it (its own timestamp may differ by microseconds).
            let saved = AgentLogRecord(id: inserted.id, agentID: agentID, seq: inserted.seq, turnID: turnID, eventCategory: category.rawValue,
                                       eventType: type, content: content, payload: payload, sessionID: sessionID, timestamp: timestamp)
            bus.publish(Event(kind: .wire, orchestratorID: orchestratorID, turnID: turnID, json: WireMessages.agentLog(orchestratorID: orchestratorID, saved)))
        }
    }

    /// What one API call sent: its input, read from the cache or written to it.
    static func contextTokens(of usage: JSONValue) -> Int64 {
        ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"].reduce(0) { $0 + (usage[$1]?.intValue ?? 0) }
    }

    private static func object(_ value: JSONValue) -> JSONValue {
        if case .object = value { return value }
        return .object(["value": value])
    }

    /// A tool result's text for the log's `content` (the payload keeps the whole result).
    static func text(of content: JSONValue?) -> String? {
        switch content {
        case .string(let text)?: return text
        case .array(let blocks)?: return blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        default: return nil
        }
    }
}

/// What an `agent_logs` row records (the original's categories).
enum AgentLogCategory: String {
    case hook, response
}
