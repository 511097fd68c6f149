import Foundation
import PluginAPI

/// What `orch chat` prints, as pure functions of the events it receives: the
/// history, replies chunk by chunk, tool use and thinking on one line each,
/// tokens and cost after each turn. No I/O here, so every rule is testable.
struct ChatView {
    let style: ChatStyle
    /// The reply being streamed, so its final `orchestrator_chat` is not printed twice.
    private var streaming: String?
    /// Messages already on screen, by id.
    private(set) var shown: Set<String> = []
    private var totals: Usage?
    /// Whether the last thing printed ended a line.
    private var atLineStart = true

    init(style: ChatStyle) { self.style = style }

    struct Usage: Equatable {
        var input: Int64
        var output: Int64
        var cost: Double

        init?(_ orchestrator: JSONValue?) {
            guard let orchestrator, let input = orchestrator["input_tokens"]?.intValue,
                  let output = orchestrator["output_tokens"]?.intValue else { return nil }
            self.input = input
            self.output = output
            self.cost = orchestrator["total_cost"]?.doubleValue ?? 0
        }
    }

    /// Remembers the orchestrator's totals, so the next turn's usage can be shown as a difference.
    mutating func know(orchestrator: JSONValue?) {
        if let usage = Usage(orchestrator) { totals = usage }
    }

    /// A message that is already on screen (the user's own, as typed).
    mutating func markShown(_ id: String) {
        shown.insert(id)
        atLineStart = true
    }

    /// Messages from `chat_history`, oldest first; those already shown are skipped.
    mutating func history(_ messages: [JSONValue], hasMore: Bool) -> String {
        let fresh = messages.filter { !shown.contains($0["id"]?.stringValue ?? "") }
        guard !fresh.isEmpty else { return "" }
        var text = lineBreak() + style.dim("── history: \(fresh.count) message\(fresh.count == 1 ? "" : "s")\(hasMore ? " (older ones not shown)" : "") ──") + "\n"
        for message in fresh { text += line(for: message) }
        text += style.dim("──") + "\n"
        atLineStart = true
        return text
    }

    /// The text for one server line (a host event or the transport's own line).
    mutating func render(_ event: JSONValue) -> String {
        switch event["type"]?.stringValue {
        case "orchestrator_chat": return chat(event["message"] ?? .null)
        case "chat_stream": return stream(event)
        case "thinking_block":
            return status("· thinking: " + Self.abbreviate(event["data"]?["thinking"]?.stringValue ?? "", to: 100))
        case "tool_use_block":
            let data = event["data"] ?? .null
            return status("⚙ " + (data["tool_name"]?.stringValue ?? "tool") + " " + Self.abbreviate(Self.compact(data["tool_input"]), to: 100))
        case "tool_result_block":
            let data = event["data"] ?? .null
            let content = Self.abbreviate(data["content"]?.stringValue ?? Self.compact(data["content"]), to: 80)
            return status("  ↳ " + (data["is_error"]?.boolValue == true ? "error: " : "") + content)
        case "turn_queued":
            return status("(queued: \(event["position"]?.intValue ?? 0) ahead)")
        case "orchestrator_updated": return usage(event["orchestrator"])
        case "turn_complete":
            let outcome = event["status"]?.stringValue ?? "success"
            return outcome == "success" ? "" : status("(turn \(outcome))")
        case "backend_retry":
            let detail = event["detail"] ?? .null
            return status("· retrying (attempt \(detail["attempt"]?.intValue ?? 0) of \(detail["max_retries"]?.intValue ?? 0))")
        case "error": return error(event)
        case "agent_created": return status("· agent \(event["agent"]?["name"]?.stringValue ?? "?") created")
        case "agent_status_changed":
            let reason = event["reason"]?.stringValue.map { " · " + $0.replacingOccurrences(of: "_", with: " ") } ?? ""
            return status("· \(event["name"]?.stringValue ?? "agent") \(event["status"]?.stringValue ?? "?")\(reason)")
        case "agent_deleted": return status("· agent \(event["name"]?.stringValue ?? "?") deleted")
        default: return ""
        }
    }

    private mutating func line(for message: JSONValue) -> String {
        let text = message["message"]?.stringValue ?? ""
        if let id = message["id"]?.stringValue { shown.insert(id) }
        if message["metadata"]?["type"] == "turn_interrupted" { return style.red("⚠ " + text) + "\n" }
        let agent = message["metadata"]?["agent_name"]?.stringValue ?? "agent"
        if message["receiver_type"] == "agent" {
            return style.dim("→ \(agent): ") + text + "\n"
        }
        switch message["sender_type"]?.stringValue {
        case "user": return style.bold("› ") + text + "\n"
        case "agent":
            let outcome = message["metadata"]?["outcome"]?.stringValue.map { " (\($0))" } ?? ""
            return style.dim("← \(agent)\(outcome): ") + text + "\n"
        default: return text + "\n"
        }
    }

    private mutating func chat(_ message: JSONValue) -> String {
        if shown.contains(message["id"]?.stringValue ?? "") { return "" }
        let prefix = lineBreak()
        atLineStart = true
        return prefix + line(for: message)
    }

    private mutating func stream(_ event: JSONValue) -> String {
        let id = event["message_id"]?.stringValue ?? ""
        // A block's end, or the turn's (which older hosts sent per block).
        if event["block_complete"]?.boolValue == true || event["is_complete"]?.boolValue == true {
            guard streaming == id else { return "" }
            streaming = nil
            let withdrawn = event["withdrawn"]?.boolValue == true
            atLineStart = true
            return withdrawn ? "\n" + style.dim("(that draft was withdrawn)") + "\n" : "\n"
        }
        let chunk = event["chunk"]?.stringValue ?? ""
        var text = ""
        if streaming != id {
            text = lineBreak()
            streaming = id
            shown.insert(id)
        }
        text += chunk
        if !chunk.isEmpty { atLineStart = chunk.hasSuffix("\n") }
        return text
    }

    private mutating func usage(_ orchestrator: JSONValue?) -> String {
        guard let now = Usage(orchestrator) else { return "" }
        defer { totals = now }
        guard let before = totals else {
            return status("· \(now.input) in / \(now.output) out tokens · \(Self.dollars(now.cost)) total")
        }
        return status("· \(now.input - before.input) in / \(now.output - before.output) out tokens · "
                      + "\(Self.dollars(now.cost - before.cost)) this turn · \(Self.dollars(now.cost)) total")
    }

    private mutating func error(_ event: JSONValue) -> String {
        let message = event["message"]?.stringValue ?? "unknown error"
        if let errorClass = event["error_class"]?.stringValue {
            // An interrupted turn also ends with turn_complete "interrupted"; one line is enough.
            return errorClass == "interrupted" ? "" : status(style.red("error: \(message) [\(errorClass)]"))
        }
        return status(style.red("error: \(message)") + (event["code"]?.stringValue.map { " [\($0)]" } ?? ""))
    }

    /// A line of its own, starting on a fresh line.
    private mutating func status(_ text: String) -> String {
        let prefix = lineBreak()
        atLineStart = true
        return prefix + style.dim(text) + "\n"
    }

    private func lineBreak() -> String { atLineStart ? "" : "\n" }

    static func dollars(_ amount: Double) -> String { String(format: "$%.4f", amount) }

    static func abbreviate(_ text: String, to limit: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    static func compact(_ value: JSONValue?) -> String {
        guard let value, let data = try? JSON.encode(value) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
