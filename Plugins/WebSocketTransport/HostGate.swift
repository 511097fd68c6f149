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
        try await awaitCompletion { completion in
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
}
