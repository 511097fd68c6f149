import Foundation
import PluginAPI

/// The host table, guarded: once the transport has stopped, the host may destroy the
/// instance and free the table, yet NIO threads and tasks can still try to log or ask
/// something. After `close`, calls are dropped instead of touching freed memory; the
/// lock makes sure no call is in progress when `close` returns.
final class HostGate: @unchecked Sendable {
    private let host: PluginHost
    private let lock = NSLock()
    private var open = true

    init(_ host: PluginHost) { self.host = host }

    func close() { lock.withLock { open = false } }

    func log(_ level: LogLevel, _ message: String) {
        lock.withLock { if open { host.log(level, message) } }
    }

    /// Issuing the request is non-blocking, so it may happen under the lock; the reply comes later, from the host.
    func request(_ json: Data) async throws -> Data {
        try await awaitCompletion { issue(json, $0) }
    }

    /// Issues the request now, so requests reach the host in the order they are issued
    /// (the host admits them in that order: one client's messages keep theirs).
    func request(_ json: Data, reply: @escaping @Sendable (Result<Data, PluginError>) -> Void) {
        issue(json, makeCompletion(reply))
    }

    private func issue(_ json: Data, _ completion: orch_completion) {
        let issued: Bool = lock.withLock {
            guard open else { return false }
            withBytes(json) { host.table.pointee.request(host.table, $0, completion) }
            return true
        }
        if !issued {
            completion.complete(.failure(PluginError(.unavailable, code: "shutting_down", "the server is shutting down")))
        }
    }
}
