import Foundation
import PluginAPI

/// The validation both stores share, applied before any SQL runs, so a bad
/// argument gets the same error whichever database is behind the store.
public enum StoreRules {
    public static let statuses = ["idle", "executing", "waiting", "blocked", "complete"]
    public static let levels = ["DEBUG", "INFO", "WARNING", "ERROR"]
    public static let eventCategories = ["hook", "response", "adw_step"]
    /// Every table a store owns, in the order `row_counts` reports them.
    public static let tables = ["orchestrator_agents", "orchestrator_chat", "agents", "agent_logs", "system_logs", "permission_requests"]

    public static let defaultHistoryLimit = 50
    public static let maxHistoryLimit = 1000
    public static let defaultAgentLogLimit = 100
    public static let maxAgentLogLimit = 1000
    public static let defaultSystemLogLimit = 50
    public static let maxSystemLogLimit = 1000
    /// The most turn ids one `read_system_logs` may name.
    public static let maxTurnIDs = 1000
    public static let maxBulkRows = 1_000_000
    /// Bounds on one add_usage: a turn costing more is a bug upstream, not a charge to record.
    public static let maxTokensPerAdd: Int64 = 1_000_000_000_000
    public static let maxCostPerAdd = PicoDollars(1_000_000 * PicoDollars.perDollar)

    /// A UUID in canonical lowercase form; `field` names the argument in the error (the one UUID rule).
    public static func uuid(_ text: String, field: String) throws(PluginError) -> String {
        try ChatRequestRules.validateUUID(text, field: field)
    }

    public static func optionalUUID(_ text: String?, field: String) throws(PluginError) -> String? {
        guard let text else { return nil }
        return try uuid(text, field: field)
    }

    public static func party(_ text: String, field: String) throws(PluginError) -> Party {
        guard let party = Party(rawValue: text) else {
            throw .invalid("invalid_sender", "\"\(field)\" must be one of user, orchestrator, agent; got \"\(text.prefix(80))\"")
        }
        return party
    }

    /// `agent_id` is required exactly when a side is `agent` (the original's CHECK constraint).
    public static func checkAgent(sender: Party, receiver: Party, agentID: String?) throws(PluginError) {
        let involvesAgent = sender == .agent || receiver == .agent
        if involvesAgent, agentID == nil {
            throw .invalid("agent_id_required", "a message \(sender.rawValue) → \(receiver.rawValue) involves an agent, so \"agent_id\" must name it")
        }
        if !involvesAgent, let agentID {
            throw .invalid("agent_id_forbidden", "a message \(sender.rawValue) → \(receiver.rawValue) involves no agent, so \"agent_id\" must be absent; got \(agentID)")
        }
    }

    public static func historyLimit(_ limit: Int?) throws(PluginError) -> Int {
        try pageLimit(limit, default: defaultHistoryLimit, max: maxHistoryLimit)
    }

    public static func agentLogLimit(_ limit: Int?) throws(PluginError) -> Int {
        try pageLimit(limit, default: defaultAgentLogLimit, max: maxAgentLogLimit)
    }

    public static func systemLogLimit(_ limit: Int?) throws(PluginError) -> Int {
        try pageLimit(limit, default: defaultSystemLogLimit, max: maxSystemLogLimit)
    }

    /// How many matching rows a page skips: absent means 0.
    public static func offset(_ offset: Int?) throws(PluginError) -> Int {
        let offset = offset ?? 0
        guard offset >= 0 else { throw .invalid("invalid_offset", "\"offset\" must be 0 or more; got \(offset)") }
        return offset
    }

    /// At most `maxTurnIDs` UUIDs, each canonical; a bad one is named by its place ("turn_ids[2]").
    public static func turnIDs(_ ids: [String]) throws(PluginError) -> [String] {
        guard ids.count <= maxTurnIDs else {
            throw .invalid("too_many_turn_ids", "\"turn_ids\" may name at most \(maxTurnIDs) turns; got \(ids.count)")
        }
        var valid: [String] = []
        valid.reserveCapacity(ids.count)
        for (index, id) in ids.enumerated() { valid.append(try uuid(id, field: "turn_ids[\(index)]")) }
        return valid
    }

    private static func pageLimit(_ limit: Int?, default standard: Int, max: Int) throws(PluginError) -> Int {
        let limit = limit ?? standard
        guard (1...max).contains(limit) else {
            throw .invalid("invalid_limit", "\"limit\" must be between 1 and \(max); got \(limit)")
        }
        return limit
    }

    public static func bulkCount(_ count: Int) throws(PluginError) -> Int {
        guard (1...maxBulkRows).contains(count) else {
            throw .invalid("invalid_count", "\"count\" must be between 1 and \(maxBulkRows); got \(count)")
        }
        return count
    }

    public static func status(_ status: String) throws(PluginError) -> String {
        guard statuses.contains(status) else {
            throw .invalid("invalid_status", "\"status\" must be one of \(statuses.joined(separator: ", ")); got \"\(status.prefix(80))\"")
        }
        return status
    }

    public static func agentStatus(_ status: String) throws(PluginError) -> AgentStatus {
        guard let known = AgentStatus(rawValue: status) else {
            throw .invalid("invalid_status", "\"status\" must be one of \(AgentStatus.allowed); got \"\(status.prefix(80))\"")
        }
        return known
    }

    /// An agent is created in any status but `archived`: archiving is what deleting one does.
    public static func newAgentStatus(_ status: AgentStatus) throws(PluginError) -> AgentStatus {
        guard status != .archived else {
            let allowed = AgentStatus.allCases.filter { $0 != .archived }.map(\.rawValue).joined(separator: ", ")
            throw .invalid("invalid_status", "a new agent cannot be archived; \"status\" must be one of \(allowed)")
        }
        return status
    }

    public static func level(_ level: String) throws(PluginError) -> String {
        guard levels.contains(level) else {
            throw .invalid("invalid_level", "\"level\" must be one of \(levels.joined(separator: ", ")); got \"\(level.prefix(80))\"")
        }
        return level
    }

    public static func eventCategory(_ category: String) throws(PluginError) -> String {
        guard eventCategories.contains(category) else {
            throw .invalid("invalid_event_category", "\"event_category\" must be one of \(eventCategories.joined(separator: ", ")); got \"\(category.prefix(80))\"")
        }
        return category
    }

    public static func tokens(_ count: Int64, field: String) throws(PluginError) -> Int64 {
        guard (0...maxTokensPerAdd).contains(count) else {
            throw .invalid("invalid_usage", "\"\(field)\" must be a token count between 0 and \(maxTokensPerAdd); got \(count)")
        }
        return count
    }

    public static func cost(_ dollars: Double) throws(PluginError) -> PicoDollars {
        guard let cost = PicoDollars(dollars: dollars), cost >= .zero, cost <= maxCostPerAdd else {
            throw .invalid("invalid_usage", "\"cost_usd\" must be a number of US dollars between 0 and \(maxCostPerAdd.dollars); got \(dollars)")
        }
        return cost
    }

    /// Metadata is a JSON object; absent means `{}`.
    public static func metadata(_ value: JSONValue?, field: String = "metadata") throws(PluginError) -> JSONValue {
        switch value {
        case nil, .null?: return .object([:])
        case .object?: return value!
        case let other?:
            throw .invalid("invalid_metadata", "\"\(field)\" must be a JSON object; got \(other.typeName)")
        }
    }

    public static func permissionLimit(_ limit: Int?) throws(PluginError) -> Int {
        try pageLimit(limit, default: defaultPermissionLimit, max: 1000)
    }

    public static let defaultPermissionLimit = 100

    public static func permissionStatus(_ status: String) throws(PluginError) -> PermissionStatus {
        guard let known = PermissionStatus(rawValue: status) else {
            let allowed = PermissionStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid("invalid_status", "\"status\" must be one of \(allowed); got \"\(status.prefix(80))\"")
        }
        return known
    }

    /// Who decided: required for a decided request; `timeout` only expires, and `host` only expires or withdraws.
    public static func permissionDecider(_ decider: String?, for status: PermissionStatus) throws(PluginError) -> PermissionDecider {
        let allowed = PermissionDecider.allCases.map(\.rawValue).joined(separator: ", ")
        guard let decider else { throw .invalid("invalid_decided_by", "a decided request needs \"decided_by\", one of \(allowed)") }
        guard let known = PermissionDecider(rawValue: decider) else {
            throw .invalid("invalid_decided_by", "\"decided_by\" must be one of \(allowed); got \"\(decider.prefix(80))\"")
        }
        let fits = switch known {
        case .person, .rule: status == .allowed || status == .denied
        case .timeout: status == .expired || status == .denied
        case .host: status == .expired || status == .withdrawn || status == .denied
        }
        guard fits else { throw .invalid("invalid_decided_by", "a request \(status.rawValue) cannot be decided by \(known.rawValue)") }
        return known
    }

    /// An ISO 8601 UTC time as the stores write them ("2026-01-02T03:04:05.000000Z" or without fraction).
    public static func timestamp(_ text: String, field: String) throws(PluginError) -> String {
        let shape = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/#
        guard text.wholeMatch(of: shape) != nil else {
            throw .invalid("invalid_timestamp", "\"\(field)\" must be a UTC time like 2026-01-02T03:04:05.000000Z; got \"\(text.prefix(80))\"")
        }
        return text
    }

    public static func nonEmpty(_ text: String, field: String) throws(PluginError) -> String {
        guard !text.isEmpty else { throw .invalid("empty_\(field)", "\"\(field)\" must not be empty") }
        return text
    }
}
