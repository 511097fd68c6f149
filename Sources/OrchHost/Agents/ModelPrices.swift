import Foundation
import PluginAPI

/// List prices per million tokens, to estimate a running command's spend from each API
/// call's usage: a budget must hold mid-turn, and the CLI reports the exact cost only when
/// the turn ends (which then replaces the estimate). Unknown models are priced as the
/// dearest family, so an estimate never lets a budget through.
enum ModelPrices {
    struct Price: Sendable {
        var input: Double
        var output: Double
    }

    static func price(of model: String?) -> Price {
        let name = (model ?? "").lowercased()
        if name.contains("haiku") { return Price(input: 1, output: 5) }
        if name.contains("sonnet") { return Price(input: 3, output: 15) }
        return Price(input: 15, output: 75)
    }

    /// `usage`: the API's `{input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens}`.
    static func estimate(model: String?, usage: JSONValue) -> Double {
        let price = price(of: model)
        func tokens(_ key: String) -> Double { Double(usage[key]?.intValue ?? 0) }
        let input = tokens("input_tokens") + 1.25 * tokens("cache_creation_input_tokens") + 0.1 * tokens("cache_read_input_tokens")
        return (input * price.input + tokens("output_tokens") * price.output) / 1_000_000
    }
}
