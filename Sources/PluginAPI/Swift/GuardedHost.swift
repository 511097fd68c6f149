import Foundation
import Synchronization

/// The host table behind a lock that can be closed. Once a plugin has stopped (or is
/// being destroyed) the host may free the table at any moment, yet threads the plugin
/// started (event loops, pipe readers, tasks) can still try to log or ask something.
/// After `close`, logs are dropped and requests fail with `plugin_stopped` instead of
/// touching freed memory; the lock makes sure no call is in flight when `close` returns.
public final class GuardedHost: Sendable {
    private let host: PluginHost
    /// Who is asking, for the error a request gets after `close`.
    private let name: String
    private let isOpen = Mutex(true)

    public init(_ host: PluginHost, name: String) {
        self.host = host
        self.name = name
    }

    /// Drops every later call; returns once no call is in flight.
    public func close() { isOpen.withLock { $0 = false } }

    public func log(_ level: LogLevel, _ message: String) {
        isOpen.withLock { if $0 { host.log(level, message) } }
    }

    /// Sends a JSON request to the host and waits for its reply.
    public func request(_ json: Data) async throws -> Data {
        try await awaitCompletion { request(json, completion: $0) }
    }

    /// A host operation, `{"op": op, ...arguments}`, its reply decoded as `Reply`.
    public func request<Reply: Decodable>(_ op: String, _ arguments: [String: JSONValue] = [:], as: Reply.Type = Reply.self) async throws -> Reply {
        try JSON.decode(Reply.self, from: try await request(try PluginHost.body(op: op, arguments)))
    }

    /// Issues the request now, so requests reach the host in the order they are issued
    /// (the host admits them in that order), and hands the reply to `reply` on any thread.
    public func request(_ json: Data, reply: @escaping @Sendable (Result<Data, PluginError>) -> Void) {
        request(json, completion: makeCompletion(reply))
    }

    /// Issuing a request does not block, so it may happen under the lock; the reply comes later, from the host.
    private func request(_ json: Data, completion: orch_completion) {
        let issued = isOpen.withLock { isOpen in
            if isOpen { host.request(json, completion: completion) }
            return isOpen
        }
        if !issued {
            completion.complete(.failure(PluginError(.cancelled, code: "plugin_stopped", "\(name) has stopped; it no longer reaches the host")))
        }
    }
}
