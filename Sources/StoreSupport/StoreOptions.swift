import Foundation
import PluginAPI

/// Reading a store's `[store.options]`: a key that the store does not know is
/// refused rather than ignored, so a typo (`pool-size`) cannot silently fall back to a default.
public enum StoreOptions {
    public static func decode<Options: Decodable>(_ type: Options.Type, from host: PluginHost, store: String, known: [String]) throws(PluginError) -> Options {
        let config = host.config
        let keys: [String]
        do { keys = Array(try JSONDecoder().decode([String: JSONValue].self, from: config.isEmpty ? Data("{}".utf8) : config).keys) } catch {
            throw .invalid("invalid_options", "\(store): the options must be a table")
        }
        if let unknown = keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid("invalid_options", "\(store): unknown option \"\(unknown)\"; the options are \(known.joined(separator: ", "))")
        }
        do { return try host.options(type) } catch {
            throw .invalid(error.code, "\(store): \(error.message)")
        }
    }
}
