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

    /// Makes the database's directory (0700) and file (0600) when they are missing, so the
    /// history is never readable by other accounts, and refuses a file that exists but is
    /// empty (a database that lost its contents must not quietly become a new, empty history).
    /// Returns a warning for each existing path others may read.
    func prepareFiles() throws(PluginError) -> [String] {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let files = FileManager.default
        if !files.fileExists(atPath: directory) {
            do { try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw .unavailable("store_unavailable", "SQLiteStore: cannot create the directory \(directory) for \"path\": \(error.localizedDescription); choose a writable path")
            }
        }
        let created = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
        if created >= 0 {
            close(created)
            return Self.looseModes([directory])
        }
        guard errno == EEXIST else {
            throw .unavailable("store_unavailable", "SQLiteStore: cannot create \(path): \(String(cString: strerror(errno))); choose a writable path")
        }
        if let size = (try? files.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue == 0 {
            throw PluginError(.internal, code: "damaged_database", "SQLiteStore: \(path) exists but is empty (0 bytes): the database lost its contents; restore it from a backup, or delete the file to start a new, empty history")
        }
        return Self.looseModes([directory, path])
    }

    /// "readable by others" warnings for paths whose mode lets the group or others in.
    private static func looseModes(_ paths: [String]) -> [String] {
        paths.compactMap { path in
            guard let mode = ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue,
                  mode & 0o077 != 0 else { return nil }
            let wanted = mode & 0o700 == 0o700 ? "700" : "600"
            return "SQLiteStore: \(path) has mode \(String(mode, radix: 8)), so other accounts on this machine may read the history; run chmod \(wanted) \(path)"
        }
    }
}
