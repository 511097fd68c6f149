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
        line(["type": "control_request", "request_id": .string(id), "request": ["subtype": .string(subtype)]])
    }

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
