import Foundation
import PluginAPI
import StoreModel

/// Every operation the host serves to plugins through `host->request`
/// (docs/protocol.md, "Host operations"), registered in one place.
extension OrchRuntime {
    func registerOperations() {
        registerAgentOperations()
        registerPermissionOperations()
        requests.register("ping") { _, _ in try JSON.encode(["pong": JSONValue.bool(true), "host_version": .string(hostVersion)]) }
        requests.register("health") { [unowned self] _, _ in try await health() }
        requests.register("get_orchestrator") { [unowned self] _, _ in
            let engine = try served()
            let record = (try? await engine.store.orchestrator(id: engine.orchestratorID)) ?? engine.orchestrator
            // The message limit travels with it, so a transport can refuse a long message before asking the host.
            return try JSON.encode(GetOrchestratorReply(orchestrator: record, maxMessageBytes: engine.settings.maxMessageBytes))
        }
        requests.register("load_chat") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String; var limit: Int?; var before: String? }
            let arguments = try request.decode(Arguments.self)
            let engine = try served()
            try engine.checkOrchestratorID(arguments.orchestrator_agent_id)
            let (store, id) = (engine.store, engine.orchestratorID)
            let history = try await storeCall { try await store.chatHistoryJSON(orchestratorID: id, limit: arguments.limit, before: arguments.before) }
            let turnCount = try await storeCall { try await store.turnCount(orchestratorID: id) }
            let record = (try? await store.orchestrator(id: id)) ?? engine.orchestrator
            let blocks = await HistoryBlocks.of(history, orchestratorID: id, store: store, logger: logger)
            return try LoadChatReply.splicing(history: history, turnCount: turnCount, orchestrator: record, blocks: blocks)
        }
        // Ordered: two messages from one client are saved and queued in the order it sent them.
        requests.registerOrdered("send_chat") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String; var message: String; var wait: Bool? }
            let arguments = try request.decode(Arguments.self)
            let accepted = try await served().send(orchestratorID: arguments.orchestrator_agent_id, message: arguments.message)
            return Admitted {
                guard arguments.wait == true else {
                    return try JSON.encode([
                        "status": JSONValue.string("accepted"), "message_id": .string(accepted.messageID),
                        "turn_id": .string(accepted.turnID), "queued": .bool(accepted.queued),
                    ])
                }
                let result = try await accepted.outcome.value().get()
                return try JSON.encode([
                    "status": JSONValue.string("success"), "response": .string(result.response),
                    "session_id": result.sessionID.map(JSONValue.string) ?? .null, "usage": result.usage, "cost": .double(result.cost),
                    "message_id": .string(result.messageID), "turn_id": .string(result.turnID),
                ])
            }
        }
        requests.register("interrupt") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String }
            let interrupted = try await served().interrupt(orchestratorID: try request.decode(Arguments.self).orchestrator_agent_id)
            if interrupted { await permissions?.withdraw(agentID: nil, reason: "the orchestrator was interrupted") }
            return try JSON.encode(["interrupted": interrupted])
        }
        requests.register("resume") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String; var last_seq: UInt64 }
            let arguments = try request.decode(Arguments.self)
            let engine = try served()
            try engine.checkOrchestratorID(arguments.orchestrator_agent_id)
            switch bus.replay(orchestratorID: engine.orchestratorID, after: arguments.last_seq) {
            case .events(let events):
                // The wire messages are already JSON: splice them in rather than re-encoding.
                var reply = Data(#"{"status":"ok","events":["#.utf8)
                for (index, event) in events.enumerated() {
                    if index > 0 { reply.append(UInt8(ascii: ",")) }
                    reply.append(event.json)
                }
                reply.append(contentsOf: Array("]}".utf8))
                return reply
            case .tooOld(let oldest, let last):
                return try JSON.encode([
                    "status": JSONValue.string("reload"), "last_seq": .int(Int64(last)), "oldest_available": .int(Int64(oldest)),
                    "message": .string("events after \(arguments.last_seq) are no longer kept; reload the history with load_chat"),
                ])
            }
        }
    }

    /// The team's operations: tools for the orchestrator's session (docs/protocol.md, "Host operations used
    /// by backends") and the agent API for people and clients (docs/agents.md).
    func registerAgentOperations() {
        requests.register("list_tools") { [unowned self] request, _ in
            struct Arguments: Decodable { var session_id: String? }
            let session = try request.decode(Arguments.self).session_id
            guard let agents = try servedAgents(), !(try isAgentOnly(session, agents)) else {
                return try JSON.encode(["tools": JSONValue.array([])])
            }
            return try JSON.encode(["tools": JSONValue.array(ManagementTools.definitions)])
        }
        requests.register("call_tool") { [unowned self] request, _ in
            struct Arguments: Decodable { var name: String; var input: JSONValue?; var session_id: String? }
            let arguments = try request.decode(Arguments.self)
            guard let agents = try servedAgents() else { throw PluginError.unsupported("this host serves no tools (it was started without an orchestrator)") }
            if try isAgentOnly(arguments.session_id, agents) {
                return ManagementTools.result(.string("\(arguments.name) is the orchestrator's tool; agents cannot manage the team"), isError: true)
            }
            let engine = try served()
            let store = engine.store
            let tools = ManagementTools(agents: agents) {
                (try? await store.orchestrator(id: engine.orchestratorID)) ?? engine.orchestrator
            }
            return await tools.call(arguments.name, input: arguments.input ?? .object([:]))
        }
        requests.register("list_agents") { [unowned self] _, _ in
            let agents = try requireAgents()
            var cards: [JSONValue] = []
            for record in agents.list() { cards.append(try await agents.card(record)) }
            return try JSON.encode(["agents": JSONValue.array(cards), "max_running": .int(Int64(agents.settings.maxRunning))])
        }
        requests.register("create_agent") { [unowned self] request, _ in
            let agents = try requireAgents()
            var input = try request.decode(JSONValue.self)
            if case .object(var fields) = input { fields["op"] = nil; input = .object(fields) }
            let record = try await agents.create(try ManagementTools.spec(ToolArguments(tool: "create_agent", input: input)))
            return try JSON.encode(["agent": agents.summary(record)])
        }
        requests.register("get_agent") { [unowned self] request, _ in
            let agents = try requireAgents()
            return try JSON.encode(["agent": try await agents.card(try agents.agent(try request.decode(AgentArguments.self).agent_id))])
        }
        requests.register("agent_logs") { [unowned self] request, _ in
            struct Arguments: Decodable { var agent_id: String; var since_seq: Int?; var limit: Int? }
            let arguments = try request.decode(Arguments.self)
            let agents = try requireAgents()
            let id = try agents.agent(arguments.agent_id).id
            let store = try served().store
            return try await storeCall { try await store.agentLogsJSON(agentID: id, sinceSeq: Int64(arguments.since_seq ?? 0), limit: arguments.limit ?? 100) }
        }
        // Ordered: two commands from one client reach the agent in the order sent.
        requests.registerOrdered("command_agent") { [unowned self] request, _ in
            struct Arguments: Decodable { var agent_id: String; var command: String; var if_busy: String? }
            let arguments = try request.decode(Arguments.self)
            let agents = try requireAgents()
            guard let mode = AgentManager.IfBusy(rawValue: arguments.if_busy ?? "queue") else {
                throw PluginError.invalid("invalid_if_busy", "if_busy is \"\(arguments.if_busy ?? "")\"; use queue, interrupt or reject")
            }
            let accepted = try await agents.command(arguments.agent_id, arguments.command, ifBusy: mode, from: .user)
            return Admitted {
                try JSON.encode(["status": JSONValue.string("accepted"), "agent_id": .string(accepted.agent.id), "turn_id": .string(accepted.turnID),
                                 "position": .int(Int64(accepted.position)), "queued": .bool(accepted.position > 0)])
            }
        }
        requests.register("interrupt_agent") { [unowned self] request, _ in
            let interrupted = try await requireAgents().interrupt(try request.decode(AgentArguments.self).agent_id)
            return try JSON.encode(["interrupted": interrupted])
        }
        requests.register("delete_agent") { [unowned self] request, _ in
            let agents = try requireAgents()
            let record = try await agents.delete(try request.decode(AgentArguments.self).agent_id)
            return try JSON.encode(["deleted": JSONValue.bool(true), "agent": agents.summary(record)])
        }
    }

    private struct AgentArguments: Decodable { var agent_id: String }

    /// A session of an agent and not the orchestrator's: it gets no management tools. A backend
    /// that does not say which session asks is assumed to ask for the orchestrator.
    private func isAgentOnly(_ session: String?, _ agents: AgentManager) throws(PluginError) -> Bool {
        guard let session, agents.isAgentSession(session) else { return false }
        return !(try served().isOrchestratorSession(session))
    }

    /// The team, when an orchestrator is served; nil on a plugin test's host.
    private func servedAgents() throws(PluginError) -> AgentManager? {
        if stopped.withLock({ $0 }) { _ = try served() }
        return agents
    }

    private func requireAgents() throws(PluginError) -> AgentManager {
        _ = try served()
        guard let agents else { throw PluginError.unavailable("no_orchestrator", "this host serves no orchestrator, so it has no agents") }
        return agents
    }

    /// The engine, or the refusal a plugin gets from a host that serves no orchestrator (a plugin test's host).
    func served() throws(PluginError) -> TurnEngine {
        if stopped.withLock({ $0 }) {
            throw PluginError(.unavailable, code: "host_shutting_down", "orch is shutting down, so this request was not carried out (nothing was saved); send it again once orch is back")
        }
        guard let engine else { throw PluginError.unavailable("no_orchestrator", "this host serves no orchestrator (it was started without one)") }
        return engine
    }

    /// The host, its plugins and, when an orchestrator is served, whether its store and backend answer.
    private func health() async throws -> Data {
        var reply: [String: JSONValue] = [
            "status": .string("ok"), "host_version": .string(hostVersion), "uptime_s": .double(uptimeSeconds),
            "plugins": .array(instances.map {
                .object(["name": .string($0.library.name), "kind": .string($0.kind.rawValue), "version": .string($0.library.version)])
            }),
        ]
        if let engine, let backend {
            async let storeHealth = probe { _ = try await engine.store.health() }
            async let backendHealth = probe { _ = try await backend.request(Data(#"{"op":"status"}"#.utf8)) }
            let (storeStatus, backendStatus) = await (storeHealth, backendHealth)
            let ok = storeStatus["ok"] == .bool(true) && backendStatus["ok"] == .bool(true)
            reply["status"] = .string(ok ? "ok" : "degraded")
            reply["store"] = storeStatus
            reply["backend"] = backendStatus
            reply["orchestrator_agent_id"] = .string(engine.orchestratorID)
        }
        return try JSON.encode(reply)
    }

    /// A store failure reaching a client says the store is the problem, not the client.
    private func storeCall<T>(_ call: () async throws -> T) async throws -> T {
        do { return try await call() } catch {
            let failure = PluginError(error)
            throw TurnEngine.storeFailure(failure, "the store is unavailable: \(failure.message)")
        }
    }

    private func probe(_ check: @escaping @Sendable () async throws -> Void) async -> JSONValue {
        let result = await withTimeout(.seconds(2)) { try await check() }
        switch result {
        case .success: return .object(["ok": .bool(true)])
        case .failure(let error): return .object(["ok": .bool(false), "error": .string(PluginError(error).message)])
        }
    }
}

/// `load_chat`'s reply, `{blocks, has_more, messages, orchestrator, turn_count}`: the store's messages are passed
/// on as the store wrote them (sorted keys, like everything `JSON.encode` writes), with what the host
/// owns added around them, so a page of a thousand messages is never decoded and encoded again.
enum LoadChatReply {
    static func splicing(history: Data, turnCount: Int, orchestrator: OrchestratorRecord, blocks: Data? = nil) throws -> Data {
        guard let reply = JSONMembers(history), let messages = reply.value("messages"), messages.first == UInt8(ascii: "["),
              let hasMore = reply.value("has_more").map({ String(decoding: $0, as: UTF8.self) }),
              hasMore == "true" || hasMore == "false" else {
            throw PluginError.internal("the store's reply to chat_history does not match docs/protocol.md (an object with messages and has_more): \(String(decoding: history.prefix(300), as: UTF8.self))")
        }
        var json = Data("{".utf8)
        if let blocks { json.append(contentsOf: "\"blocks\":".utf8); json.append(blocks); json.append(UInt8(ascii: ",")) }
        json.append(contentsOf: "\"has_more\":\(hasMore),\"messages\":".utf8)
        json.append(contentsOf: messages)
        json.append(contentsOf: ",\"orchestrator\":".utf8)
        json.append(try JSON.encode(orchestrator))
        json.append(contentsOf: ",\"turn_count\":\(turnCount)}".utf8)
        return json
    }
}

struct GetOrchestratorReply: Encodable {
    var orchestrator: OrchestratorRecord
    var maxMessageBytes: Int

    enum CodingKeys: String, CodingKey {
        case orchestrator
        case maxMessageBytes = "max_message_bytes"
    }
}
