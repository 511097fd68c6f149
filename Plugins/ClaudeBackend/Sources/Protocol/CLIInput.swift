import Foundation
import PluginAPI

/// The lines Orch writes to the CLI's stdin (`--input-format stream-json`).
/// Always encoded with JSONEncoder: a line that is not valid JSON kills the CLI.
enum CLIInput {
    /// A user message: starts a turn.
    static func userMessage(_ content: JSONValue) -> Data {
        line([
            "type": "user", "message": ["role": "user", "content": content],
            "parent_tool_use_id": .null, "session_id": "default",
        ])
    }

    static func controlRequest(id: String, subtype: String) -> Data {
        controlRequest(id: id, request: ["subtype": .string(subtype)])
    }

    /// `request` is the whole request object, its `subtype` included.
    static func controlRequest(id: String, request: JSONValue) -> Data {
        line(["type": "control_request", "request_id": .string(id), "request": request])
    }

    /// The hook events Orch registers a callback for when a process starts; each is reported as a HOOK event.
    static let hookEvents = ["PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "SubagentStart", "SubagentStop",
                             "PreCompact", "Notification"]

    /// The `initialize` control request (the first one a process gets): one matcher per hook event,
    /// matching everything (`matcher: null`), with its own callback id `hook_<n>`, as the Agent SDK registers them.
    /// `systemPromptSnapshot: false`: the CLI would otherwise record a session's system prompt on its first
    /// request and send that record on every later one, even after a `--resume` with another prompt; Orch's
    /// rule is that the prompt a process is started with is the one the model gets.
    static let initializeRequest: JSONValue = {
        var hooks: [String: JSONValue] = [:]
        for (index, event) in hookEvents.enumerated() {
            hooks[event] = [["matcher": .null, "hookCallbackIds": [.string("hook_\(index)")]]]
        }
        return ["subtype": "initialize", "hooks": .object(hooks), "systemPromptSnapshot": false]
    }()

    static func controlSuccess(id: String, response: JSONValue) -> Data {
        line(["type": "control_response", "response": ["subtype": "success", "request_id": .string(id), "response": response]])
    }

    static func controlError(id: String, message: String) -> Data {
        line(["type": "control_response", "response": ["subtype": "error", "request_id": .string(id), "error": .string(message)]])
    }

    private static func line(_ object: [String: JSONValue]) -> Data {
        var data = (try? JSON.encode(object)) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
