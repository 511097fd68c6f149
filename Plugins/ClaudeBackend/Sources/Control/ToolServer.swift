import Foundation
import PluginAPI

/// The in-process ("type": "sdk") MCP server the CLI reaches through
/// `mcp_message` control requests: a small JSON-RPC dispatcher over the
/// host's tools, answering as the Python SDK's bridge does.
struct ToolServer: Sendable {
    let tools: [HostTool]
    let host: HostTools
    /// The id of the turn running now, if any (read when a call arrives).
    let currentTurn: @Sendable () -> String?

    /// The JSON-RPC response to one message from the CLI.
    func handle(_ message: JSONValue) async -> JSONValue {
        let method = message["method"]?.stringValue ?? ""
        // Notifications (no id) are acknowledged with an empty result, as the SDK does.
        guard let id = message["id"] else { return ["jsonrpc": "2.0", "result": [:]] }
        let params = message["params"] ?? [:]
        switch method {
        case "initialize":
            return success(id, [
                "protocolVersion": params["protocolVersion"] ?? "2025-06-18",
                "capabilities": ["tools": ["listChanged": .bool(false)]],
                "serverInfo": ["name": .string(LaunchCommand.toolServerName), "version": "1.0.0"],
            ])
        case "tools/list":
            return success(id, ["tools": .array(tools.map {
                ["name": .string($0.name), "description": .string($0.description), "inputSchema": $0.inputSchema]
            })])
        case "tools/call":
            guard let name = params["name"]?.stringValue, tools.contains(where: { $0.name == name }) else {
                return failure(id, code: -32602, "Unknown tool: \(params["name"]?.stringValue ?? "(none)")")
            }
            let context = HostTools.CallContext(turnID: currentTurn(), toolUseID: params["_meta"]?["claudecode/toolUseId"]?.stringValue)
            let (content, isError) = await host.call(name, input: params["arguments"] ?? [:], context: context)
            return success(id, ["content": content, "isError": .bool(isError)])
        case "ping":
            return success(id, [:])
        default:
            return failure(id, code: -32601, "Method not found: \(method)")
        }
    }

    private func success(_ id: JSONValue, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    private func failure(_ id: JSONValue, code: Int64, _ message: String) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": ["code": .int(code), "message": .string(message)]]
    }
}
