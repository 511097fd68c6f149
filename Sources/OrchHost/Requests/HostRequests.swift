import Foundation
import PluginAPI

/// The table of host operations, by `op` name (registered in `HostOperations.swift`).
public final class HostRequests: HostRequestHandler, @unchecked Sendable {
    public typealias Operation = @Sendable (Request, String) async throws -> Data
    /// An operation whose first part must run in the order requests arrived (see `HostRequestHandler`).
    public typealias OrderedOperation = @Sendable (Request, String) async throws -> Admitted
    private var operations: [String: OrderedOperation] = [:]
    private let lock = NSLock()

    public init() {}

    /// Adds or replaces an operation that needs no ordering; it runs wholly after admission.
    public func register(_ op: String, _ operation: @escaping Operation) {
        registerOrdered(op) { request, plugin in .whole { try await operation(request, plugin) } }
    }

    /// Adds or replaces an operation whose first part runs in arrival order.
    public func registerOrdered(_ op: String, _ operation: @escaping OrderedOperation) {
        lock.withLock { operations[op] = operation }
    }

    public var names: [String] { lock.withLock { operations.keys.sorted() } }

    public func admit(_ request: Request, from plugin: String) async throws -> Admitted {
        guard let operation = lock.withLock({ operations[request.op] }) else {
            throw PluginError.unsupported("the host has no operation \"\(request.op)\"; it serves \(names.joined(separator: ", "))")
        }
        return try await operation(request, plugin)
    }
}
