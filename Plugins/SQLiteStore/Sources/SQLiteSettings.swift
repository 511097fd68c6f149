import Foundation
import PluginAPI
import StoreSupport

/// `[store.options]` of SQLiteStore, validated.
struct SQLiteSettings: Sendable {
    static let known = ["path", "busy_timeout_ms", "readers"]
    static let defaultPath = ".orch/orch.sqlite"

    /// Absolute: a relative `path` is resolved against the process's working directory.
    let path: String
    let busyTimeoutMilliseconds: Int
    let readers: Int

    private struct Options: Decodable {
        var path: String?
        var busy_timeout_ms: Int?
        var readers: Int?
    }

    init(_ host: PluginHost) throws(PluginError) {
        let options = try StoreOptions.decode(Options.self, from: host, store: SQLiteStore.name, known: Self.known)
        let path = options.path ?? Self.defaultPath
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            throw .invalid("invalid_options", "SQLiteStore: \"path\" must be a file path such as \(Self.defaultPath); got \"\(path)\" (in-memory and URI databases cannot be shared by the store's connections)")
        }
        self.path = path.hasPrefix("/") ? path
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardizedFileURL.path
        let busy = options.busy_timeout_ms ?? 5000
        guard (0...600_000).contains(busy) else {
            throw .invalid("invalid_options", "SQLiteStore: \"busy_timeout_ms\" must be between 0 and 600000; got \(busy)")
        }
        busyTimeoutMilliseconds = busy
        let readers = options.readers ?? 2
        guard (1...32).contains(readers) else {
            throw .invalid("invalid_options", "SQLiteStore: \"readers\" must be between 1 and 32; got \(readers)")
        }
        self.readers = readers
    }

    /// Creates the database's directory if it is missing.
    func createDirectory() throws(PluginError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .unavailable("store_unavailable", "SQLiteStore: cannot create the directory \(directory.path) for \"path\": \(error.localizedDescription); choose a writable path")
        }
    }
}
