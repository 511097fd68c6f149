import Foundation
import PluginAPI

/// The plugin's way to the host. Reader threads outlive nothing, but a CLI that
/// ignores SIGKILL for a moment could still print after `destroy`; once
/// detached, this drops calls instead of touching a host table that is gone.
final class HostLink: @unchecked Sendable {
    private let host: PluginHost
    private let lock = NSLock()
    private var detached = false

    init(_ host: PluginHost) { self.host = host }

    func log(_ level: LogLevel, _ message: String) {
        lock.withLock { if !detached { host.log(level, message) } }
    }

    /// A host operation (`host->request`): `{"op": op, ...arguments}`.
    func request(_ op: String, _ arguments: [String: JSONValue] = [:]) async throws -> JSONValue {
        guard lock.withLock({ !detached }) else {
            throw PluginError(.cancelled, code: "plugin_stopped", "ClaudeBackend is shutting down")
        }
        var body = arguments
        body["op"] = .string(op)
        return try JSON.decode(JSONValue.self, from: try await host.request(try JSON.encode(body)))
    }

    func detach() { lock.withLock { detached = true } }
}
