import Foundation
import PluginAPI

/// A tool the host registered; the agent sees it as `mcp__orch__<name>`.
struct HostTool: Sendable, Equatable {
    var name: String
    var description: String
    /// A JSON Schema object for the tool's input.
    var inputSchema: JSONValue
}

/// The host operations behind host-provided tools (docs/protocol.md, "Host
/// operations used by backends"): `list_tools` when a CLI process starts,
/// `call_tool` when the agent calls one. Both name the session, so a host can
/// serve each session (each sub-agent) its own tools.
struct HostTools: Sendable {
    let host: GuardedHost
    let sessionID: String

    /// What the host learns about a call besides the tool and its input.
    struct CallContext: Sendable {
        /// The turn running when the agent called the tool, when known.
        var turnID: String?
        /// The model's id for this tool call, when the CLI gave it.
        var toolUseID: String?
    }

    /// The session's tools; none when the host does not serve `list_tools`.
    func list() async -> [HostTool] {
        let reply: JSONValue
        do { reply = try await host.request("list_tools", ["session_id": .string(sessionID)]) } catch {
            if (error as? PluginError)?.status != .unsupported {
                host.log(.warning, "list_tools failed, starting the session without host tools: \(error)")
            }
            return []
        }
        guard case .array(let tools)? = reply["tools"] else {
            host.log(.warning, "list_tools replied without a \"tools\" array; starting the session without host tools")
            return []
        }
        return tools.compactMap { tool in
            guard let name = tool["name"]?.stringValue, !name.isEmpty else {
                host.log(.warning, "list_tools returned a tool without a name; skipped")
                return nil
            }
            return HostTool(name: name, description: tool["description"]?.stringValue ?? "",
                            inputSchema: tool["input_schema"] ?? ["type": "object", "properties": [:]])
        }
    }

    /// Runs a tool; a host failure becomes an error result the model can read.
    func call(_ name: String, input: JSONValue, context: CallContext = CallContext()) async -> (content: JSONValue, isError: Bool) {
        var arguments: [String: JSONValue] = ["name": .string(name), "input": input, "session_id": .string(sessionID)]
        if let turnID = context.turnID { arguments["turn_id"] = .string(turnID) }
        if let toolUseID = context.toolUseID { arguments["tool_use_id"] = .string(toolUseID) }
        do {
            let reply = try await host.request("call_tool", arguments, as: JSONValue.self)
            let content: JSONValue = switch reply["content"] {
            case .array(let blocks)?: .array(blocks)
            case .string(let text)?: [["type": "text", "text": .string(text)]]
            default: []
            }
            return (content, reply["is_error"]?.boolValue ?? false)
        } catch {
            let failure = PluginError(error)
            return ([["type": "text", "text": .string("The tool \(name) failed: \(failure.message)")]], true)
        }
    }
}
