import PluginAPI

/// The operation names of the optional `orch.store.diagnostics/1`
/// (docs/protocol.md, "Store diagnostics"): what tests and benchmarks need
/// of a store and the product does not.
public enum StoreDiagnosticOp: String, Sendable, CaseIterable {
    case createOrchestrator = "create_orchestrator"
    case deleteOrchestrator = "delete_orchestrator"
    case deleteSystemLogs = "delete_system_logs"
    case rowCounts = "row_counts"
    case bulkInsertChat = "bulk_insert_chat"
    case explainChatHistory = "explain_chat_history"
}
