import Foundation
import PluginAPI
import StoreModel

/// One turn's stream, turned into wire events and store writes as the
/// backend's events arrive. The backend calls in order and never concurrently
/// (the header's sink contract), so the state needs no lock of its own beyond
/// what the final summary reads after the turn.
final class TurnRecorder: @unchecked Sendable {
    let turnID: String
    let orchestratorID: String
    let model: String
    private let bus: EventBus
    private let outbox: Outbox
    private let store: StoreAPI
    private let lock = NSLock()
    /// Backend block key → the reply message id clients see in chat_stream.
    private var replyIDs: [String: String] = [:]
    /// Text streamed for blocks that have not been finalized yet.
    private var drafts: [String: String] = [:]
    private var draftOrder: [String] = []
    private(set) var finalTexts: [String] = []
    private(set) var toolsUsed: [String] = []
    /// An interrupt was asked for: text finalized from now on was cut off by it.
    private var interrupting = false
    /// The reply block that ended last: the turn's one `is_complete` names it.
    private var lastReplyID: String?
    /// A failed turn's accounting, which the backend reports just before its error (`STATUS turn_failed`).
    private(set) var failedResult: JSONValue?

    init(turnID: String, orchestratorID: String, model: String, bus: EventBus, outbox: Outbox, store: StoreAPI) {
        self.turnID = turnID
        self.orchestratorID = orchestratorID
        self.model = model
        self.bus = bus
        self.outbox = outbox
        self.store = store
    }

    private func replyID(for key: String) -> String {
        if let id = replyIDs[key] { return id }
        let id = UUIDv7.next()
        replyIDs[key] = id
        return id
    }

    func handle(_ event: EventView) {
        lock.lock()
        defer { lock.unlock() }
        let key = event.messageID.string
        switch event.kind {
        case .textDelta:
            let text = event.text.string
            if drafts[key] == nil { draftOrder.append(key) }
            drafts[key, default: ""] += text
            publish(WireMessages.chatStream(orchestratorID: orchestratorID, messageID: replyID(for: key), chunk: text, isComplete: false), text: text)
        case .blockFinal:
            let info = event.payload
            // Text of Claude's own sub-agent (a Task run in the background) is not the orchestrator's reply.
            if info["parent_tool_use_id"]?.stringValue != nil { return }
            if info["kind"]?.stringValue == "thinking" {
                finishThinking(event.text.string)
            } else {
                finishText(key: key, text: event.text.string, partial: info["partial"] == .bool(true))
            }
        case .status:
            let status = event.payload
            if status["status"] == .string("turn_failed") { failedResult = status["result"] }
        case .draftWithdrawn:
            drafts[key] = nil
            draftOrder.removeAll { $0 == key }
            if let id = replyIDs[key] {
                publish(WireMessages.chatStream(orchestratorID: orchestratorID, messageID: id, chunk: "", isComplete: false, blockComplete: true, withdrawn: true))
            }
        case .toolUse:
            toolUse(event.payload)
        case .toolResult:
            let data = WireMessages.toolResultData(orchestratorID: orchestratorID, turnID: turnID, result: event.payload)
            publish(WireMessages.toolResultBlock(data))
            keep(.toolResultBlock, data, message: "orchestrator tool result")
        case .retry:
            publish(WireMessages.backendRetry(orchestratorID: orchestratorID, turnID: turnID, detail: event.payload))
        default:
            break // thinking deltas are shown once the block is final; unknown kinds are ignored by contract
        }
    }

    /// `text` repeats a chat_stream chunk, so a transport that wants only the text need not parse JSON.
    private func publish(_ json: Data, text: String = "") {
        bus.publish(Event(kind: .wire, orchestratorID: orchestratorID, turnID: turnID, text: text, json: json))
    }

    /// `partial`: the backend kept text streamed before its process died; the row says so.
    private func finishText(key: String, text: String, partial: Bool) {
        let id = replyID(for: key)
        drafts[key] = nil
        draftOrder.removeAll { $0 == key }
        finalTexts.append(text)
        endBlock(id)
        var metadata: [String: JSONValue] = ["type": .string("text"), "turn_id": .string(turnID), "model": .string(model),
                                             "tools_used": .array(toolsUsed.map(JSONValue.string))]
        if partial { metadata["partial"] = .bool(true) }
        if interrupting { (metadata["partial"], metadata["outcome"]) = (.bool(true), .string("interrupted")) }
        save(id: id, text: text, metadata: metadata)
    }

    /// A reply block's stream is over (its row follows); the turn's completion will name the last one.
    private func endBlock(_ id: String) {
        lastReplyID = id
        publish(WireMessages.chatStream(orchestratorID: orchestratorID, messageID: id, chunk: "", isComplete: false, blockComplete: true))
    }

    /// Persists the reply row in the background; clients see it at once, with the id it will have in the store.
    private func save(id: String, text: String, metadata: [String: JSONValue]) {
        let now = Timestamp.now()
        let row = ChatMessageRecord(id: id, orchestratorID: orchestratorID, sender: .orchestrator, receiver: .user, message: text,
                                    agentID: nil, metadata: .object(metadata), createdAt: now, updatedAt: now)
        publish(WireMessages.chat(row))
        let store = store
        outbox.enqueue("reply \(id)") {
            _ = try await store.insertChat(NewChatMessage(orchestratorID: row.orchestratorID, sender: .orchestrator, receiver: .user,
                                                          message: text, metadata: row.metadata, id: id))
        }
    }

    private func finishThinking(_ thinking: String) {
        let data = WireMessages.thinkingData(orchestratorID: orchestratorID, turnID: turnID, thinking: thinking)
        publish(WireMessages.thinkingBlock(data))
        keep(.thinkingBlock, data, message: "orchestrator thinking")
    }

    private func toolUse(_ tool: JSONValue) {
        let name = tool["name"]?.stringValue ?? "unknown"
        toolsUsed.append(name)
        let data = WireMessages.toolUseData(orchestratorID: orchestratorID, turnID: turnID, name: name, tool: tool)
        publish(WireMessages.toolUseBlock(data))
        keep(.toolUseBlock, data, message: "orchestrator tool use: \(name)")
    }

    /// A block shown live is kept as a system_logs row whose metadata is the wire message's `data`
    /// plus its `type`: `load_chat` gives the turn's blocks back as they were shown.
    private func keep(_ type: WireMessageType, _ data: JSONValue, message: String) {
        guard case .object(var metadata) = data else { return }
        metadata["type"] = .string(type.rawValue)
        let (store, kept) = (store, JSONValue.object(metadata))
        outbox.enqueue(message) { _ = try await store.insertSystemLog(level: "INFO", message: message, metadata: kept) }
    }

    /// On failure or interrupt: what was streamed but never finalized is saved, marked, so nothing the user saw is lost.
    func savePartial(outcome: String, error: PluginError) {
        lock.lock()
        defer { lock.unlock() }
        for key in draftOrder {
            guard let text = drafts[key], !text.isEmpty else { continue }
            let id = replyID(for: key)
            endBlock(id)
            save(id: id, text: text, metadata: ["type": .string("text"), "turn_id": .string(turnID), "model": .string(model),
                                               "partial": .bool(true), "outcome": .string(outcome), "error_class": .string(error.code)])
            finalTexts.append(text)
        }
        drafts = [:]
        draftOrder = []
    }

    /// The engine asked the backend to interrupt the turn: a block it finalizes after this is
    /// the text written before the interrupt reached it, so its row says it is incomplete.
    func interruptRequested() {
        lock.withLock { interrupting = true }
    }

    /// The turn is over: one `chat_stream` with `is_complete: true`, after the last block (none if no text was streamed).
    func finishTurn() {
        guard let id = lock.withLock({ lastReplyID }) else { return }
        publish(WireMessages.chatStream(orchestratorID: orchestratorID, messageID: id, chunk: "", isComplete: true, blockComplete: true))
    }

    var response: String { lock.withLock { finalTexts.joined(separator: "\n\n") } }
    var accountingOfFailure: JSONValue? { lock.withLock { failedResult } }

}
