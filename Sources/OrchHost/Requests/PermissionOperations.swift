import Foundation
import PluginAPI
import StoreModel

/// The permission inbox's operations (docs/permissions.md): `request_permission` and
/// `withdraw_permission` for backends that ask, the inbox, answers and the audit log for people.
extension OrchRuntime {
    func registerPermissionOperations() {
        requests.register("request_permission") { [unowned self] request, _ in
            struct Arguments: Decodable {
                var session_id: String; var request_id: String; var tool_name: String
                var input: JSONValue?; var permission_suggestions: JSONValue?; var turn_id: String?
            }
            let arguments = try request.decode(Arguments.self)
            let inbox = try requirePermissions()
            return try JSON.encode(try await inbox.ask(.init(
                sessionID: arguments.session_id, requestID: arguments.request_id, toolName: arguments.tool_name,
                input: arguments.input ?? .object([:]), suggestions: arguments.permission_suggestions ?? .array([]), turnID: arguments.turn_id)))
        }
        requests.register("withdraw_permission") { [unowned self] request, _ in
            struct Arguments: Decodable { var session_id: String; var request_id: String }
            let arguments = try request.decode(Arguments.self)
            try await requirePermissions().withdraw(sessionID: arguments.session_id, requestID: arguments.request_id)
            return try JSON.encode(["withdrawn": JSONValue.bool(true)])
        }
        requests.register("inbox") { [unowned self] request, _ in
            struct Arguments: Decodable { var limit: Int? }
            return try await requirePermissions().pending(limit: try request.decode(Arguments.self).limit).jsonData
        }
        requests.register("permission_log") { [unowned self] request, _ in
            struct Arguments: Decodable { var before: String?; var limit: Int? }
            let arguments = try request.decode(Arguments.self)
            return try await requirePermissions().log(before: arguments.before, limit: arguments.limit).jsonData
        }
        requests.register("answer_permission") { [unowned self] request, _ in
            let answer = try PermissionAnswer(try request.decode(JSONValue.self))
            let record = try await requirePermissions().answer(answer.id, answer.decision)
            return PermissionReply(request: record).jsonData
        }
        requests.register("answer_permissions") { [unowned self] request, _ in
            guard case .array(let items)? = try request.decode(JSONValue.self)["answers"], !items.isEmpty else {
                throw PluginError.invalid("invalid_answers", "\"answers\" must be a non-empty array of {id, decision, scope?, message?, updated_input?}")
            }
            let answers = try items.map { item throws(PluginError) in try PermissionAnswer(item) }
            let results = try await requirePermissions().answer(all: answers.map { ($0.id, $0.decision) })
            return try JSON.encode(["results": JSONValue.array(zip(answers, results).map { answer, result in
                switch result {
                case .success(let record):
                    return ["id": .string(answer.id), "status": "success", "request": (try? JSON.decode(JSONValue.self, from: record.jsonData)) ?? .null]
                case .failure(let error):
                    return ["id": .string(answer.id), "status": "error", "error": ["code": .string(error.code), "message": .string(error.message)]]
                }
            })])
        }
    }

    private func requirePermissions() throws(PluginError) -> PermissionInbox {
        _ = try served()
        guard let permissions else { throw PluginError.unavailable("no_orchestrator", "this host serves no orchestrator, so nothing asks for permission") }
        return permissions
    }
}

/// One answer as a person sends it: `{id, decision: "allow" | "deny", scope?, message?, updated_input?}`.
struct PermissionAnswer {
    var id: String
    var decision: PermissionInbox.Decision

    init(_ value: JSONValue) throws(PluginError) {
        guard let id = value["id"]?.stringValue, !id.isEmpty else {
            throw .invalid("invalid_request", "an answer needs \"id\": the permission request's id from the inbox")
        }
        guard let verdict = value["decision"]?.stringValue.flatMap(PermissionInbox.Decision.Verdict.init(rawValue:)) else {
            throw .invalid("invalid_decision", "\"decision\" must be \"allow\" or \"deny\"; got \(value["decision"].map { "\($0)" } ?? "nothing")")
        }
        var decision = PermissionInbox.Decision(verdict: verdict)
        if let scope = value["scope"], scope != .null {
            guard let known = scope.stringValue.flatMap(PermissionInbox.Decision.Scope.init(rawValue:)) else {
                throw .invalid("invalid_scope", "\"scope\" must be \"once\", \"agent\" or \"template\"; got \(scope)")
            }
            guard verdict == .allow || known == .once else {
                throw .invalid("invalid_scope", "a deny is for this request only; leave \"scope\" out, or write a [permissions] deny rule")
            }
            decision.scope = known
        }
        if let message = value["message"], message != .null {
            guard let text = message.stringValue else { throw .invalid("invalid_message", "\"message\" must be text for the model") }
            decision.message = text
        }
        if let input = value["updated_input"], input != .null {
            guard case .object = input else { throw .invalid("invalid_updated_input", "\"updated_input\" must be the tool's input object, edited") }
            guard verdict == .allow else { throw .invalid("invalid_updated_input", "only an allow runs the tool, so only an allow takes \"updated_input\"") }
            decision.updatedInput = input
        }
        self.id = id
        self.decision = decision
    }
}
