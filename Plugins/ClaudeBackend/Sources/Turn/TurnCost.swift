import Foundation

/// The cost of one turn. The CLI's `total_cost_usd` is cumulative for the
/// session (and restored on `--resume`), so the turn's share is
/// `model_usage_since_last_result[*].costUSD`, or, from a CLI without that
/// field, the growth of the total since the session's previous result.
enum TurnCost {
    static func of(_ result: CLIMessage, previousTotal: Double?) -> Double {
        if let models = result.modelUsageSinceLastResult {
            return models.values.reduce(0) { $0 + ($1.costUSD ?? 0) }
        }
        guard let total = result.totalCostUSD else { return 0 }
        return max(0, total - (previousTotal ?? 0))
    }
}
