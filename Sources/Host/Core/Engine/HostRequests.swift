import Foundation
import PluginAPI

/// The operations the host serves to plugins through `host->request`.
public final class HostRequests: HostRequestHandler, @unchecked Sendable {
    public typealias Operation = @Sendable (Request, String) async throws -> Data
    private var operations: [String: Operation] = [:]
    private let lock = NSLock()

    public init() {}

    /// Adds or replaces an operation; the engine registers its own at startup.
    public func register(_ op: String, _ operation: @escaping Operation) {
        lock.withLock { operations[op] = operation }
    }

    public var names: [String] { lock.withLock { operations.keys.sorted() } }

    public func handle(_ request: Request, from plugin: String) async throws -> Data {
        guard let operation = lock.withLock({ operations[request.op] }) else {
            throw PluginError.unsupported("the host has no operation \"\(request.op)\"; it serves \(names.joined(separator: ", "))")
        }
        return try await operation(request, plugin)
    }
}
