import Foundation
import PluginAPI

/// What a host may set per session in `start_turn` and `prewarm` (a sub-agent
/// with its own prompt, model and tools): each field left out keeps the
/// `[backend.options]` value. They take effect when the session's CLI process
/// starts; a turn whose settings differ from those of the warm process restarts
/// it (with `--resume`), as a turn for another working directory does.
struct SessionSettings: Sendable, Equatable {
    /// Replaces the configured `system_prompt_file` for this session (`--system-prompt`).
    var systemPrompt: String?
    var model: String?
    /// Replaces the configured `allowed_tools` (`mcp__orch` is still added when the host has tools).
    var allowedTools: [String]?
    var disallowedTools: [String]?
    var maxTurns: Int?

    static let fields = ["system_prompt", "model", "allowed_tools", "disallowed_tools", "max_turns"]
    /// The Linux limit for one argv string is 128 KiB (MAX_ARG_STRLEN); the prompt travels as one.
    static let maxSystemPromptBytes = 100_000

    var isEmpty: Bool { self == SessionSettings() }

    init(systemPrompt: String? = nil, model: String? = nil, allowedTools: [String]? = nil,
         disallowedTools: [String]? = nil, maxTurns: Int? = nil) {
        self.systemPrompt = systemPrompt
        self.model = model
        self.allowedTools = allowedTools
        self.disallowedTools = disallowedTools
        self.maxTurns = maxTurns
    }

    /// The fields of a request (`op` names it in errors); wrong types are `invalid_request` naming the field.
    /// `null` counts as absent.
    init(_ request: Request) throws(PluginError) {
        guard case .object(let object)? = try? JSON.decode(JSONValue.self, from: request.json) else {
            throw .invalid("invalid_request", "\(request.op): the request must be a JSON object")
        }
        func value(_ key: String) -> JSONValue? {
            guard let value = object[key], value != .null else { return nil }
            return value
        }
        func wrong(_ key: String, _ expected: String, _ found: JSONValue) -> PluginError {
            .invalid("invalid_request", "\(request.op): field \"\(key)\" must be \(expected); found \(found.typeName)")
        }
        func text(_ key: String) throws(PluginError) -> String? {
            guard let found = value(key) else { return nil }
            guard let text = found.stringValue, !text.isEmpty else { throw wrong(key, "a non-empty string", found) }
            return text
        }
        func names(_ key: String) throws(PluginError) -> [String]? {
            guard let found = value(key) else { return nil }
            guard case .array(let items) = found else { throw wrong(key, "an array of tool names", found) }
            var names: [String] = []
            for item in items {
                guard let name = item.stringValue, !name.isEmpty, !name.contains(",") else {
                    throw .invalid("invalid_request", "\(request.op): field \"\(key)\" must hold non-empty tool names without commas; found \(item.typeName == "a string" ? "\"\(item.stringValue ?? "")\"" : item.typeName)")
                }
                names.append(name)
            }
            return names
        }
        systemPrompt = try text("system_prompt")
        if let prompt = systemPrompt, prompt.utf8.count > Self.maxSystemPromptBytes {
            throw .invalid("invalid_request", "\(request.op): field \"system_prompt\" is \(prompt.utf8.count) bytes, more than the \(Self.maxSystemPromptBytes) a command-line argument can carry")
        }
        model = try text("model")
        allowedTools = try names("allowed_tools")
        disallowedTools = try names("disallowed_tools")
        if let found = value("max_turns") {
            guard let turns = found.intValue, turns >= 1, turns <= Int64(Int32.max) else {
                throw wrong("max_turns", "an integer of at least 1", found)
            }
            maxTurns = Int(turns)
        }
    }
}
