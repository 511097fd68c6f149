import Foundation
import PluginAPI

/// What a turn's messages said besides its events, read when it ends.
struct TurnFacts: Sendable {
    struct AnthropicAPIError: Sendable {
        /// The CLI's class on the synthetic error message: authentication_failed, rate_limit, server_error, …
        var kind: String?
        var status: Int?
        var text: String
    }

    var sawInit = false
    var model: String?
    var apiError: AnthropicAPIError?
    var retries = 0
}

/// Turns the CLI's messages during one turn into the host's ordered events
/// (docs/protocol.md, "Backend turns"). Used only on the process's reader
/// thread, so it needs no lock.
///
/// Streamed deltas are drafts keyed `<api message id>:<block index>`; the
/// `assistant` message that follows is the authoritative block. A draft whose
/// API message stops without one (a stream that failed and was retried) is
/// withdrawn.
final class TurnAssembler {
    private let turn: TurnRequest
    private let events: EventSink
    private(set) var facts = TurnFacts()
    /// Blocks finalized so far per API message: the CLI sends one `assistant` line per block, in order.
    private var finalizedBlocks: [String: Int] = [:]
    private var drafts: [String: Draft] = [:]
    private var draftOrder: [String] = []
    /// The API calls in progress, by API message id: their model and usage so far.
    private var calls: [String: (model: String?, usage: CLIMessage.Usage)] = [:]

    private struct Draft {
        enum State { case open, final, withdrawn }
        var kind: String
        var text = ""
        var state = State.open
    }

    var turnID: String { turn.turnID }

    init(turn: TurnRequest, events: EventSink) {
        self.turn = turn
        self.events = events
    }

    /// Emits what `message` means for the host; returns it when it is the `result` that ends the turn.
    func handle(_ message: CLIMessage) -> CLIMessage? {
        switch message.type {
        case "system":
            system(message)
        case "stream_event":
            usage(message)
            if message.parentToolUseID == nil { stream(message) }
        case "assistant":
            assistant(message)
        case "user":
            for block in message.message?.content ?? [] where block.type == "tool_result" {
                emit(.toolResult, json: nested(["tool_use_id": .string(block.toolUseID ?? ""), "content": block.content ?? .null,
                                                "is_error": .bool(block.isError ?? false)], in: message))
            }
        case "result":
            withdrawDrafts(ofMessage: nil)
            return message
        default:
            break
        }
        return nil
    }

    /// The CLI died mid-turn: what it streamed is all there is, so keep it as
    /// partial blocks rather than withdraw it. Returns how many characters.
    func keepPartialDrafts() -> Int {
        var characters = 0
        for key in draftOrder where drafts[key]?.state == .open {
            guard let draft = drafts[key] else { continue }
            drafts[key]?.state = .final
            characters += draft.text.count
            emit(.blockFinal, text: draft.text, key: key,
                 json: ["index": .int(Int64(Self.index(of: key))), "kind": .string(draft.kind), "partial": .bool(true)])
        }
        return characters
    }

    /// A HOOK event: a hook callback the CLI made during the turn (already answered).
    func hook(_ json: JSONValue) {
        emit(.hook, json: json)
    }

    /// A STATUS event for the UI, e.g. the accounting of a turn that failed.
    func status(_ json: JSONValue) {
        emit(.status, json: json)
    }

    // MARK: message kinds

    private func system(_ message: CLIMessage) {
        switch message.subtype {
        case "init":
            facts.sawInit = true
            facts.model = message.model ?? facts.model
        case "api_retry":
            facts.retries += 1
            emit(.retry, json: [
                "attempt": message.attempt.map { .int(Int64($0)) } ?? .null,
                "max_retries": message.maxRetries.map { .int(Int64($0)) } ?? .null,
                "delay_ms": message.retryDelayMS.map { .int(Int64($0)) } ?? .null,
                "error": message.error.map { .string($0) } ?? .null,
                "error_status": message.errorStatus.map { .int(Int64($0)) } ?? .null,
            ])
        default:
            break
        }
    }

    /// Each API call's usage, when it ends (`message_stop`), as a STATUS event `usage`, so a host
    /// can hold a budget during a turn; the turn's result still has the exact total and cost.
    /// Sub-agents' calls count too (they carry `parent_tool_use_id`).
    private func usage(_ message: CLIMessage) {
        guard let event = message.event else { return }
        let id = message.apiMessageID ?? ""
        switch event.type {
        case "message_start":
            calls[id] = (event.message?.model, event.message?.usage ?? CLIMessage.Usage())
        case "message_delta":
            if let later = event.usage, let call = calls[id] { calls[id] = (call.model, call.usage.updated(by: later)) }
        case "message_stop":
            guard let call = calls.removeValue(forKey: id) else { return }
            var json: [String: JSONValue] = ["status": "usage", "model": call.model.map { .string($0) } ?? .null, "usage": call.usage.json]
            if let parent = message.parentToolUseID { json["parent_tool_use_id"] = .string(parent) }
            emit(.status, json: .object(json))
        default:
            break
        }
    }

    private func stream(_ message: CLIMessage) {
        guard let event = message.event else { return }
        let messageID = message.apiMessageID ?? ""
        switch event.type {
        case "content_block_delta":
            guard let index = event.index, let delta = event.delta else { return }
            let key = "\(messageID):\(index)"
            switch delta.type {
            case "text_delta":
                guard let text = delta.text else { return }
                draft(key, kind: "text", append: text)
                emit(.textDelta, text: text, key: key)
            case "thinking_delta":
                guard let text = delta.thinking else { return }
                draft(key, kind: "thinking", append: text)
                emit(.thinkingDelta, text: text, key: key)
            default:
                break
            }
        case "message_stop":
            withdrawDrafts(ofMessage: messageID)
        default:
            break
        }
    }

    /// Messages from inside one of Claude's own sub-agents (the Task tool) carry the id of the
    /// tool_use that started it; their events say so in `parent_tool_use_id` (absent at top level).
    private func nested(_ json: [String: JSONValue], in message: CLIMessage) -> JSONValue {
        var json = json
        if let parent = message.parentToolUseID { json["parent_tool_use_id"] = .string(parent) }
        return .object(json)
    }

    private func assistant(_ message: CLIMessage) {
        guard let content = message.message else { return }
        if message.isAPIErrorMessage == true {
            // "API Error: 529 …": the turn's failure, not a reply (a sub-agent's reaches its parent as a tool result).
            if message.parentToolUseID == nil {
                facts.apiError = .init(kind: message.error, status: message.apiErrorStatus,
                                       text: content.content.compactMap(\.text).joined(separator: "\n"))
            }
            return
        }
        if message.parentToolUseID == nil { facts.model = content.model ?? facts.model }
        let messageID = content.id ?? ""
        for block in content.content {
            let index = finalizedBlocks[messageID, default: 0]
            finalizedBlocks[messageID] = index + 1
            let key = "\(messageID):\(index)"
            if drafts[key] != nil { drafts[key]?.state = .final }
            switch block.type {
            case "text":
                emit(.blockFinal, text: block.text ?? "", key: key, json: nested(["index": .int(Int64(index)), "kind": "text"], in: message))
            case "thinking":
                emit(.blockFinal, text: block.thinking ?? "", key: key, json: nested(["index": .int(Int64(index)), "kind": "thinking"], in: message))
            case "tool_use":
                emit(.toolUse, key: key, json: nested(["id": .string(block.id ?? ""), "name": .string(block.name ?? ""), "input": block.input ?? [:]],
                                                      in: message))
            default:
                break
            }
        }
    }

    // MARK: drafts

    private func draft(_ key: String, kind: String, append text: String) {
        if drafts[key] == nil {
            drafts[key] = Draft(kind: kind)
            draftOrder.append(key)
        }
        drafts[key]?.text += text
    }

    /// Withdraws the open drafts of one API message, or of all when `ofMessage` is nil.
    private func withdrawDrafts(ofMessage messageID: String?) {
        for key in draftOrder where drafts[key]?.state == .open {
            if let messageID, !key.hasPrefix(messageID + ":") { continue }
            drafts[key]?.state = .withdrawn
            emit(.draftWithdrawn, key: key)
        }
    }

    private static func index(of key: String) -> Int {
        key.split(separator: ":").last.flatMap { Int($0) } ?? 0
    }

    private func emit(_ kind: EventKind, text: String = "", key: String = "", json: JSONValue? = nil) {
        events.emit(Event(kind: kind, orchestratorID: turn.orchestratorID, messageID: key, turnID: turn.turnID,
                          text: text, json: json.flatMap { try? JSON.encode($0) } ?? Data()))
    }
}
