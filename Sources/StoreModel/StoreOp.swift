import PluginAPI

/// The operation names of `orch.store/1` (docs/protocol.md, "Store operations"):
/// what the product needs of a store. Test and benchmark helpers are `StoreDiagnosticOp`.
public enum StoreOp: String, Sendable, CaseIterable {
    case health
    case getOrCreateOrchestrator = "get_or_create_orchestrator"
    case getOrchestrator = "get_orchestrator"
    case getOrchestratorBySession = "get_orchestrator_by_session"
    case updateSession = "update_session"
    case addUsage = "add_usage"
    case setStatus = "set_status"
    case insertChat = "insert_chat"
    case chatHistory = "chat_history"
    case moveChatToEnd = "move_chat_to_end"
    case turnCount = "turn_count"
    case insertAgent = "insert_agent"
    case getAgent = "get_agent"
    case listAgents = "list_agents"
    case setAgentStatus = "set_agent_status"
    case updateAgentSession = "update_agent_session"
    case addAgentUsage = "add_agent_usage"
    case insertAgentLog = "insert_agent_log"
    case agentLogs = "agent_logs"
    case agentLogCounts = "agent_log_counts"
    case insertSystemLog = "insert_system_log"
    case readSystemLogs = "read_system_logs"
    case insertPermissionRequest = "insert_permission_request"
    case decidePermissionRequest = "decide_permission_request"
    case permissionRequests = "permission_requests"
    case expirePermissionRequests = "expire_permission_requests"
}
