import Foundation
import Synchronization
import PluginAPI

/// Answers the control requests the CLI sends (docs/claude-backend.md,
/// "Control protocol"). Every request gets an answer, an error for what Orch
/// does not handle: an unanswered request hangs the turn.
final class ControlHandler: Sendable {
    private let policy: BackendConfig.PermissionPolicy
    private let toolServer: ToolServer?
    private let host: GuardedHost
    private let sessionID: String
    private let currentTurn: @Sendable () -> String?
    private let reply: @Sendable (Data) -> Void
    /// Told of each `hook_callback` after it was answered (on the reader thread).
    private let hook: @Sendable (JSONValue) -> Void
    /// Answers still being worked on, by request id, so the CLI can withdraw them.
    private let running = Mutex<[String: Task<Void, Never>]>([:])

    init(policy: BackendConfig.PermissionPolicy, toolServer: ToolServer?, host: GuardedHost, sessionID: String,
         currentTurn: @escaping @Sendable () -> String? = { nil },
         reply: @escaping @Sendable (Data) -> Void, hook: @escaping @Sendable (JSONValue) -> Void = { _ in }) {
        self.policy = policy
        self.sessionID = sessionID
        self.currentTurn = currentTurn
        self.hook = hook
        self.toolServer = toolServer
        self.host = host
        self.reply = reply
    }

    /// Called on the reader thread; slow answers continue in a task.
    func handle(id: String, request: JSONValue) {
        let subtype = request["subtype"]?.stringValue ?? ""
        switch subtype {
        case "hook_callback":
            // Answered first, whatever happens next: an unanswered hook blocks the turn for good.
            // `{}` lets the CLI continue as if no hook were registered.
            reply(CLIInput.controlSuccess(id: id, response: [:]))
            hook(request)
        case "can_use_tool":
            guard policy == .ask else {
                reply(CLIInput.controlSuccess(id: id, response: permission(request)))
                return
            }
            // The turn waits while a person decides; the answer may take minutes, so it is a task
            // the CLI can withdraw (control_cancel_request), like a tool call.
            running.withLock { tasks in
                tasks[id] = Task { [weak self] in
                    guard let self else { return }
                    let answer = await ask(id: id, request: request)
                    guard running.withLock({ $0.removeValue(forKey: id) }) != nil else { return }
                    reply(CLIInput.controlSuccess(id: id, response: answer))
                }
            }
        case "mcp_message":
            let server = request["server_name"]?.stringValue ?? ""
            let message = request["message"] ?? .null
            guard let toolServer, server == LaunchCommand.toolServerName else {
                let error: JSONValue = ["jsonrpc": "2.0", "id": message["id"] ?? .null,
                                        "error": ["code": -32601, "message": .string("Server '\(server)' not found")]]
                reply(CLIInput.controlSuccess(id: id, response: ["mcp_response": error]))
                return
            }
            // Registered under the lock before the task can finish and look itself up.
            running.withLock { tasks in
                tasks[id] = Task { [weak self] in
                    let response = await toolServer.handle(message)
                    guard let self, running.withLock({ $0.removeValue(forKey: id) }) != nil else { return }
                    reply(CLIInput.controlSuccess(id: id, response: ["mcp_response": response]))
                }
            }
        default:
            host.log(.warning, "the Claude CLI sent the control request \"\(subtype)\", which Orch does not handle; answered with an error")
            reply(CLIInput.controlError(id: id, message: "Orch does not support the control request subtype \"\(subtype)\""))
        }
    }

    /// `control_cancel_request`: the CLI withdrew a request; it expects no answer. A permission
    /// question is withdrawn from the host too, so nobody is left asked about it.
    func cancel(id: String) {
        guard let task = running.withLock({ $0.removeValue(forKey: id) }) else { return }
        task.cancel()
        guard policy == .ask else { return }
        host.request(Self.encode(["op": "withdraw_permission", "session_id": .string(sessionID), "request_id": .string(id)])) { _ in }
    }

    /// `permission_policy = "ask"`: the host's `request_permission` decides (a rule, a grant, or a person).
    /// A host that cannot ask is a deny the model can read, never a hang.
    private func ask(id: String, request: JSONValue) async -> JSONValue {
        let tool = request["tool_name"]?.stringValue ?? "a tool"
        var arguments: [String: JSONValue] = [
            "session_id": .string(sessionID), "request_id": .string(id), "tool_name": .string(tool),
            "input": request["input"] ?? [:], "permission_suggestions": request["permission_suggestions"] ?? [],
        ]
        if let toolUseID = request["tool_use_id"]?.stringValue { arguments["tool_use_id"] = .string(toolUseID) }
        if let turnID = currentTurn() { arguments["turn_id"] = .string(turnID) }
        do {
            let answer = try await host.request("request_permission", arguments, as: JSONValue.self)
            if answer["behavior"] == "allow" {
                var allow: [String: JSONValue] = ["behavior": "allow", "updatedInput": answer["updated_input"] ?? request["input"] ?? [:]]
                if let permissions = answer["updated_permissions"], case .array = permissions { allow["updatedPermissions"] = permissions }
                return .object(allow)
            }
            return ["behavior": "deny", "message": .string(answer["message"]?.stringValue ?? "The person using Orch denied \(tool).")]
        } catch {
            let failure = PluginError(error)
            host.log(.warning, "could not ask about \(tool) (\(failure.message)); denied it")
            return ["behavior": "deny", "message": .string("Orch could not ask the person about \(tool) (\(failure.message)), so it is denied.")]
        }
    }

    private static func encode(_ value: JSONValue) -> Data {
        (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    }

    private func permission(_ request: JSONValue) -> JSONValue {
        let tool = request["tool_name"]?.stringValue ?? "a tool"
        switch policy {
        case .allow:
            return ["behavior": "allow", "updatedInput": request["input"] ?? [:]]
        case .deny, .ask:
            host.log(.info, "denied \(tool) by permission_policy = \"deny\"")
            return ["behavior": "deny",
                    "message": .string("Orch denied \(tool): it is not in allowed_tools and permission_policy is \"deny\". Ask the user to allow it in [backend.options].")]
        }
    }
}
