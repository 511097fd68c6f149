import PluginAPI

/// The operation names of `orch.store/1` (docs/protocol.md, "Store operations").
public enum StoreOp: String, Sendable, CaseIterable {
    case health
    case getOrCreateOrchestrator = "get_or_create_orchestrator"
    case createOrchestrator = "create_orchestrator"
    case getOrchestrator = "get_orchestrator"
    case getOrchestratorBySession = "get_orchestrator_by_session"
    case updateSession = "update_session"
    case setStatus = "set_status"
    case addUsage = "add_usage"
    case insertChat = "insert_chat"
    case chatHistory = "chat_history"
    case turnCount = "turn_count"
    case insertAgent = "insert_agent"
    case insertAgentLog = "insert_agent_log"
    case insertSystemLog = "insert_system_log"
    case deleteOrchestrator = "delete_orchestrator"
    case deleteSystemLogs = "delete_system_logs"
    case rowCounts = "row_counts"
    case bulkInsertChat = "bulk_insert_chat"
    case explainChatHistory = "explain_chat_history"
}
