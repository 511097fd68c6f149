import Foundation
import PluginAPI

/// What a store implements to also export the optional `orch.store.diagnostics/1`:
/// the operations tests and benchmarks need, as typed methods on the same
/// instance. The default `handleDiagnostics` decodes, validates and encodes
/// as `StoreOperations.handle` does for `orch.store/1`.
public protocol StoreDiagnosticOperations: StoreOperations, StoreDiagnosticsPlugin {
    /// Always a new orchestrator, unlike `getOrCreateOrchestrator`.
    func createOrchestrator(_ new: NewOrchestrator) async throws -> OrchestratorRecord
    /// Deletes the orchestrator with its chat, agents and their logs; false if there was none.
    func deleteOrchestrator(id: String) async throws -> Bool
    func deleteSystemLogs(ids: [String]) async throws -> Int
    /// Rows per table of `StoreRules.tables`.
    func rowCounts() async throws -> [String: Int]
    func bulkInsertChat(orchestratorID: String, count: Int) async throws -> Int
    /// The database's plan for the chat_history query.
    func explainChatHistory(orchestratorID: String) async throws -> String
}

extension StoreDiagnosticOperations {
    public func handleDiagnostics(_ request: Request) async throws -> Data {
        let op = try request.op(StoreDiagnosticOp.self, of: "\(Self.self)", named: "diagnostics op", listedAs: "diagnostics ops") { name in
            StoreOp(rawValue: name).map { _ in StoreError.storeOpSentToDiagnostics(name, store: "\(Self.self)") }
        }
        switch op {
        case .createOrchestrator:
            return reply(try await createOrchestrator(try request.arguments(NewOrchestrator.self)))
        case .deleteOrchestrator:
            return try JSON.encode(DeletedReply(deleted: try await deleteOrchestrator(id: try request.arguments(IDArguments.self).id)))
        case .deleteSystemLogs:
            return try JSON.encode(DeletedReply(deleted: try await deleteSystemLogs(ids: try request.arguments(DeleteSystemLogsArguments.self).ids)))
        case .rowCounts:
            return try JSON.encode(RowCountsReply(tables: try await rowCounts()))
        case .bulkInsertChat:
            let arguments = try request.arguments(BulkInsertChatArguments.self)
            return try JSON.encode(InsertedReply(inserted: try await bulkInsertChat(orchestratorID: arguments.orchestratorID, count: arguments.count)))
        case .explainChatHistory:
            let plan = try await explainChatHistory(orchestratorID: try request.arguments(OrchestratorArguments.self).orchestratorID)
            return try JSON.encode(PlanReply(plan: plan))
        }
    }
}
