import Foundation
import PluginAPI
import StoreModel

/// The host operations transports call (docs/operations.md, "Host operations"),
/// served by the turn engine.
extension TurnEngine {
    public func register(on requests: HostRequests, runtime: OrchRuntime) {
        requests.register("get_orchestrator") { [unowned self] _, _ in
            let record = (try? await store.orchestrator(id: orchestratorID)) ?? orchestrator
            // The message limit travels with it, so a transport can refuse a long message before asking the host.
            return try JSON.encode(GetOrchestratorReply(orchestrator: record, maxMessageBytes: settings.maxMessageBytes))
        }
        requests.register("load_chat") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String; var limit: Int?; var before: String? }
            let arguments = try request.decode(Arguments.self)
            try checkOrchestratorID(arguments.orchestrator_agent_id)
            let (messages, hasMore) = try await storeCall { try await store.chatHistory(orchestratorID: orchestratorID, limit: arguments.limit, before: arguments.before) }
            let turnCount = try await storeCall { try await store.turnCount(orchestratorID: orchestratorID) }
            let record = (try? await store.orchestrator(id: orchestratorID)) ?? orchestrator
            return try JSON.encode(LoadChatReply(messages: messages, turnCount: turnCount, hasMore: hasMore, orchestrator: record))
        }
        // Ordered: two messages from one client are saved and queued in the order it sent them.
        requests.registerOrdered("send_chat") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String; var message: String; var wait: Bool? }
            let arguments = try request.decode(Arguments.self)
            let accepted = try await send(orchestratorID: arguments.orchestrator_agent_id, message: arguments.message)
            return {
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
            let interrupted = try await interrupt(orchestratorID: try request.decode(Arguments.self).orchestrator_agent_id)
            return try JSON.encode(["interrupted": interrupted])
        }
        requests.register("resume") { [unowned self] request, _ in
            struct Arguments: Decodable { var orchestrator_agent_id: String; var last_seq: UInt64 }
            let arguments = try request.decode(Arguments.self)
            try checkOrchestratorID(arguments.orchestrator_agent_id)
            switch bus.replay(orchestratorID: orchestratorID, after: arguments.last_seq) {
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
        requests.register("health") { [unowned self] _, _ in
            async let storeHealth = probe { _ = try await self.store.health() }
            async let backendHealth = probe { _ = try await self.backend.request(Data(#"{"op":"status"}"#.utf8)) }
            let (storeStatus, backendStatus) = await (storeHealth, backendHealth)
            let plugins: [JSONValue] = runtime.instances.map {
                .object(["name": .string($0.library.name), "kind": .string($0.kind.rawValue), "version": .string($0.library.version)])
            }
            let ok = storeStatus["ok"] == .bool(true) && backendStatus["ok"] == .bool(true)
            return try JSON.encode([
                "status": JSONValue.string(ok ? "ok" : "degraded"), "store": storeStatus, "backend": backendStatus,
                "plugins": .array(plugins), "uptime_s": .double(runtime.uptimeSeconds), "host_version": .string(hostVersion),
                "orchestrator_agent_id": .string(orchestratorID),
            ])
        }
    }

    /// A store failure reaching a client says the store is the problem, not the client.
    private func storeCall<T>(_ call: () async throws -> T) async throws -> T {
        do { return try await call() } catch {
            let failure = PluginError(error)
            throw Self.storeFailure(failure, "the store is unavailable: \(failure.message)")
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

struct LoadChatReply: Encodable {
    var messages: [ChatMessageRecord]
    var turnCount: Int
    var hasMore: Bool
    var orchestrator: OrchestratorRecord

    enum CodingKeys: String, CodingKey {
        case messages, orchestrator
        case turnCount = "turn_count"
        case hasMore = "has_more"
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

/// Runs `body`, giving up after `timeout` (the body keeps running but its result is ignored).
func withTimeout(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> Void) async -> Result<Void, any Error> {
    await withCheckedContinuation { continuation in
        let shot = OneShot(continuation)
        Task {
            do { try await body(); shot.resume(.success(())) } catch { shot.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            shot.resume(.failure(PluginError(.timeout, code: "timeout", "no answer within \(timeout)")))
        }
    }
}
