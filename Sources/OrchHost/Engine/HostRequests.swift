import Foundation
import PluginAPI

/// The operations the host serves to plugins through `host->request`.
public final class HostRequests: HostRequestHandler, @unchecked Sendable {
    public typealias Operation = @Sendable (Request, String) async throws -> Data
    public typealias Remainder = @Sendable () async throws -> Data
    /// An operation whose first part must run in the order requests arrived; it returns the rest.
    public typealias OrderedOperation = @Sendable (Request, String) async throws -> Remainder
    private var operations: [String: OrderedOperation] = [:]
    private let lock = NSLock()

    public init() {}

    /// Adds or replaces an operation that needs no ordering; it runs wholly after admission.
    public func register(_ op: String, _ operation: @escaping Operation) {
        registerOrdered(op) { request, plugin in { try await operation(request, plugin) } }
    }

    /// Adds or replaces an operation whose first part runs in arrival order (see `HostRequestHandler`).
    public func registerOrdered(_ op: String, _ operation: @escaping OrderedOperation) {
        lock.withLock { operations[op] = operation }
    }

    public var names: [String] { lock.withLock { operations.keys.sorted() } }

    public func admit(_ request: Request, from plugin: String) async throws -> Remainder {
        guard let operation = lock.withLock({ operations[request.op] }) else {
            throw PluginError.unsupported("the host has no operation \"\(request.op)\"; it serves \(names.joined(separator: ", "))")
        }
        return try await operation(request, plugin)
    }
}
