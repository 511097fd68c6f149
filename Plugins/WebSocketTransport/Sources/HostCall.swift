import Foundation
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
}
