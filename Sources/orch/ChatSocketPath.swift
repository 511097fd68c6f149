import Foundation
import OrchHost

/// Where `orch chat` connects: `--socket`, else the `path` option of the
/// UnixSocketTransport in the config, else `.orch/orch.sock`. A relative path
/// is relative to the current directory, as the transport's own is relative
/// to where `orch serve` runs.
enum ChatSocketPath {
    static let fallback = ".orch/orch.sock"

    enum Failure: Error, Equatable, CustomStringConvertible {
        case config(String)
        case noUnixTransport(file: String)

        var description: String {
            switch self {
            case .config(let message): message
            case .noUnixTransport(let file):
                "\(file) has no UnixSocketTransport in [[transports]]; add one (see docs/writing-a-plugin.md) or pass --socket"
            }
        }
    }

    /// `configExplicit`: the user named the config, so it must exist.
    static func resolve(socket: String?, config: String, configExplicit: Bool) throws(Failure) -> String {
        if let socket { return socket }
        guard configExplicit || FileManager.default.fileExists(atPath: config) else { return fallback }
        let loaded: OrchConfig
        do { loaded = try ConfigLoader.load(file: config) } catch { throw .config(error.description) }
        guard let transport = loaded.transports.first(where: { isUnixTransport($0.plugin) }) else {
            throw .noUnixTransport(file: config)
        }
        return transport.options["path"]?.stringValue ?? fallback
    }

    static func isUnixTransport(_ plugin: String) -> Bool {
        plugin == "UnixSocketTransport" || plugin.hasSuffix("/libUnixSocketTransport.so") || plugin == "libUnixSocketTransport.so"
    }
}
