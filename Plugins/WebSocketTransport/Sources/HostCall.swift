import Foundation
import Hummingbird
import PluginAPI

/// One validated host operation, ready to send.
struct HostCall: Sendable {
    var op: String
    var arguments: [String: JSONValue]

    var json: Data { (try? JSON.encode(arguments.merging(["op": .string(op)]) { $1 })) ?? emptyJSONObject }

    static func loadChat(_ input: ClientArguments) throws(APIError) -> HostCall {
        var arguments: [String: JSONValue] = [
            "orchestrator_agent_id": .string(try input.uuid("orchestrator_agent_id")!),
            // The original UI asks for 2000; the stores cap a page at 1000 and say `has_more`.
            "limit": .int(min(try input.integer("limit", in: 1...100_000) ?? 50, 1000)),
        ]
        if let before = try input.uuid("before", required: false) { arguments["before"] = .string(before) }
        return HostCall(op: "load_chat", arguments: arguments)
    }

    static func sendChat(_ input: ClientArguments, maxMessageBytes: Int) throws(APIError) -> HostCall {
        HostCall(op: "send_chat", arguments: [
            "orchestrator_agent_id": .string(try input.uuid("orchestrator_agent_id")!),
            "message": .string(try input.message(limit: maxMessageBytes)),
            "wait": .bool(try input.bool("wait") ?? false),
        ])
    }

    static func interrupt(_ input: ClientArguments) throws(APIError) -> HostCall {
        HostCall(op: "interrupt", arguments: ["orchestrator_agent_id": .string(try input.uuid("orchestrator_agent_id")!)])
    }

    static func resume(_ input: ClientArguments) throws(APIError) -> HostCall {
        guard let lastSeq = try input.integer("last_seq", in: 0...Int64.max) else {
            throw .badRequest("invalid_request", "missing field \"last_seq\" (the highest seq you received, 0 for none)")
        }
        return HostCall(op: "resume", arguments: [
            "orchestrator_agent_id": .string(try input.uuid("orchestrator_agent_id")!), "last_seq": .int(lastSeq),
        ])
    }

    /// `GET /agents/{id}/logs?since_seq=&limit=`: a cursor page of the agent's log.
    static func agentLogs(agentID: String, query: Parameters) throws(APIError) -> HostCall {
        var arguments: [String: JSONValue] = ["agent_id": .string(agentID)]
        for (key, range) in [("since_seq", Int64(0)...Int64.max), ("limit", Int64(1)...Int64(1000))] {
            guard let text = query[key[...]].map(String.init) else { continue }
            guard let number = Int64(text), range.contains(number) else {
                throw .badRequest("invalid_request", "\(key) must be a whole number between \(range.lowerBound) and \(range.upperBound), got \"\(text.prefix(40))\"")
            }
            arguments[key] = .int(number)
        }
        return HostCall(op: "agent_logs", arguments: arguments)
    }

    /// `GET /inbox?limit=`, `GET /permissions/log?before=&limit=`: a page, newest first.
    static func paged(_ op: String, query: Parameters) throws(APIError) -> HostCall {
        var arguments: [String: JSONValue] = [:]
        if let text = query["limit"].map(String.init) {
            guard let limit = Int64(text), (1...1000).contains(limit) else {
                throw .badRequest("invalid_request", "limit must be a whole number between 1 and 1000, got \"\(text.prefix(40))\"")
            }
            arguments["limit"] = .int(limit)
        }
        if let before = query["before"].map(String.init) {
            do { arguments["before"] = .string(try ChatRequestRules.validateUUID(before, field: "before")) } catch { throw APIError(error) }
        }
        return HostCall(op: op, arguments: arguments)
    }

    /// `POST /agents/{id}/command` `{command, if_busy?}`: the command follows the chat message rules.
    static func commandAgent(agentID: String, _ input: ClientArguments, maxMessageBytes: Int) throws(APIError) -> HostCall {
        let command = try input.required("command")
        do { try ChatRequestRules.validateMessage(command, limit: maxMessageBytes) } catch { throw APIError(error) }
        var arguments: [String: JSONValue] = ["agent_id": .string(agentID), "command": .string(command)]
        if let ifBusy = try input.string("if_busy") {
            guard ["queue", "interrupt", "reject"].contains(ifBusy) else {
                throw .badRequest("invalid_if_busy", "if_busy is \"\(ifBusy.prefix(40))\"; use queue, interrupt or reject")
            }
            arguments["if_busy"] = .string(ifBusy)
        }
        return HostCall(op: "command_agent", arguments: arguments)
    }
}
