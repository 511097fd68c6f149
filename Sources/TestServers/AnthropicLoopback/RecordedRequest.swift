import Foundation

/// One HTTP request the loopback received, with the parts of a Messages API
/// body that tests assert on already picked out.
public struct RecordedRequest: Sendable {
    public struct Message: Sendable {
        public var role: String
        /// The text blocks, in order (the CLI prepends `<system-reminder>` blocks to the first user message).
        public var texts: [String]
        public var toolUses: [String]
        public var toolResults: [ToolResult]
    }

    public struct ToolResult: Sendable {
        public var toolUseID: String
        /// The result's text (string content, or its text blocks joined), without the
        /// `<system-reminder>` blocks the CLI appends; `rawText` keeps them.
        public var text: String { RecordedRequest.withoutReminders(rawText) }
        public var rawText: String
        public var isError: Bool
    }

    public var method: String
    /// The path with its query, e.g. `/v1/messages?beta=true`.
    public var path: String
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    public var model: String?
    public var stream: Bool
    public var system: [String]
    public var toolNames: [String]
    public var messages: [Message]

    public var isMessages: Bool { method == "POST" && (path == "/v1/messages" || path.hasPrefix("/v1/messages?")) }

    /// The user's own words in the last user message: its last text block.
    public var lastUserText: String? {
        messages.last { $0.role == "user" && !$0.texts.isEmpty }?.texts.last
    }

    init(method: String, path: String, headers: [String: String], body: Data) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        model = json["model"] as? String
        stream = json["stream"] as? Bool ?? false
        system = (json["system"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        toolNames = (json["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        messages = (json["messages"] as? [[String: Any]] ?? []).map(Self.message)
    }

    private static func message(_ json: [String: Any]) -> Message {
        let role = json["role"] as? String ?? "?"
        if let text = json["content"] as? String {
            return Message(role: role, texts: [text], toolUses: [], toolResults: [])
        }
        var message = Message(role: role, texts: [], toolUses: [], toolResults: [])
        for block in json["content"] as? [[String: Any]] ?? [] {
            switch block["type"] as? String {
            case "text": message.texts.append(block["text"] as? String ?? "")
            case "tool_use": message.toolUses.append(block["name"] as? String ?? "")
            case "tool_result":
                message.toolResults.append(ToolResult(
                    toolUseID: block["tool_use_id"] as? String ?? "", rawText: text(of: block["content"]),
                    isError: block["is_error"] as? Bool ?? false))
            default: break
            }
        }
        return message
    }

    private static func text(of content: Any?) -> String {
        if let text = content as? String { return text }
        return (content as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.joined(separator: "\n")
    }

    static func withoutReminders(_ text: String) -> String {
        var rest = Substring(text)
        var kept = ""
        while let open = rest.range(of: "<system-reminder>") {
            kept += rest[..<open.lowerBound]
            guard let close = rest.range(of: "</system-reminder>", range: open.upperBound..<rest.endIndex) else { return kept.trimmingCharacters(in: .whitespacesAndNewlines) }
            rest = rest[close.upperBound...]
        }
        return (kept + rest).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
