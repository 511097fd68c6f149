import Foundation
import PluginAPI

/// The `orch.store.diagnostics/1` operations as typed async calls: what tests
/// and benchmarks need of a store beyond `StoreAPI`. `request` sends through
/// the diagnostics interface (the host's `StoreClient.diagnostics`).
public struct StoreDiagnostics: Sendable {
    private let caller: StoreCaller

    public init(request: @escaping @Sendable (Data) async throws -> Data) {
        caller = StoreCaller(send: request)
    }

    /// Always a new orchestrator (benchmarks and tests that need several).
    public func createOrchestrator(systemPrompt: String? = nil, workingDir: String? = nil, metadata: JSONValue? = nil) async throws -> OrchestratorRecord {
        let reply: OrchestratorReply = try await caller.call(.createOrchestrator, NewOrchestrator(systemPrompt: systemPrompt, workingDir: workingDir, metadata: metadata))
        return reply.orchestrator
    }

    /// Deletes the orchestrator with its chat, agents and their logs; false if there was none.
    public func deleteOrchestrator(id: String) async throws -> Bool {
        let reply: DeletedReply<Bool> = try await caller.call(.deleteOrchestrator, IDArguments(id: id))
        return reply.deleted
    }

    /// Returns how many rows were deleted.
    @discardableResult
    public func deleteSystemLogs(ids: [String]) async throws -> Int {
        let reply: DeletedReply<Int> = try await caller.call(.deleteSystemLogs, DeleteSystemLogsArguments(ids: ids))
        return reply.deleted
    }

    /// Rows per table (`StoreRules.tables`).
    public func rowCounts() async throws -> [String: Int] {
        let reply: RowCountsReply = try await caller.call(.rowCounts, NoArguments())
        return reply.tables
    }

    /// Seeds `count` chat rows in one statement or transaction (benchmarks); returns how many.
    public func bulkInsertChat(orchestratorID: String, count: Int) async throws -> Int {
        let reply: InsertedReply = try await caller.call(.bulkInsertChat, BulkInsertChatArguments(orchestratorID: orchestratorID, count: count))
        return reply.inserted
    }

    /// The database's plan for the chat_history query (to check it is an index range scan).
    public func explainChatHistory(orchestratorID: String) async throws -> String {
        let reply: PlanReply = try await caller.call(.explainChatHistory, OrchestratorArguments(orchestratorID: orchestratorID))
        return reply.plan
    }
}
