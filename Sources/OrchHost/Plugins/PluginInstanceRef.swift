import Foundation
import Logging
import PluginAPI

/// The host's handle on one created plugin instance of one kind: it counts
/// requests in flight so `destroy` never runs while one is outstanding.
public final class PluginInstanceRef: @unchecked Sendable {
    public let library: PluginLibrary
    public let kind: PluginKind
    let instance: OpaquePointer
    let hostTable: HostTable
    private let requestFunction: orch_request_fn
    private let destroyFunction: orch_destroy_fn
    private let lock = NSLock()
    private var inflight = 0
    private var destroyed = false
    private var drained: [@Sendable (Bool) -> Void] = []

    public var label: String { hostTable.label }

    struct Functions {
        var create: orch_create_fn?
        var destroy: orch_destroy_fn?
        var request: orch_request_fn?
    }

    init(library: PluginLibrary, kind: PluginKind, functions: Functions, context: HostTable) throws(PluginLoadError) {
        guard let create = functions.create, let destroy = functions.destroy, let request = functions.request else {
            throw .malformedDescriptor(path: library.path, reason: "the \(kind) table lacks create, destroy or request")
        }
        var error = [CChar](repeating: 0, count: 1024)
        var out: OpaquePointer?
        let status = error.withUnsafeMutableBufferPointer { buffer in
            create(context.table, context.configBytes, &out, buffer.baseAddress, buffer.count)
        }
        guard status == ORCH_OK, let out else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .initFailed(plugin: library.name, kind: kind, status: Status(code: status == ORCH_OK ? ORCH_ERR_INTERNAL : status),
                              message: message.isEmpty ? "create returned status \(status) without a message" : message)
        }
        self.library = library
        self.kind = kind
        self.instance = out
        self.hostTable = context
        self.requestFunction = request
        self.destroyFunction = destroy
    }

    /// Tracks one outstanding call; returns false once the instance is destroyed.
    func enter() -> Bool {
        lock.withLock {
            guard !destroyed else { return false }
            inflight += 1
            return true
        }
    }

    func leave() {
        let waiters: [@Sendable (Bool) -> Void] = lock.withLock {
            inflight -= 1
            guard inflight == 0 else { return [] }
            defer { drained = [] }
            return drained
        }
        waiters.forEach { $0(true) }
    }

    private var destroyedError: PluginError {
        .init(.cancelled, code: "plugin_stopped", "\(label) has been shut down")
    }

    /// A control-plane request to the plugin.
    public func request(_ json: Data) async throws -> Data {
        try await request(json, through: requestFunction)
    }

    /// A request through another interface's `request` that acts on this
    /// instance (`orch.store.diagnostics/1`), counted as outstanding like the rest.
    func request(_ json: Data, through function: orch_request_fn) async throws -> Data {
        guard enter() else { throw destroyedError }
        defer { leave() }
        return try await awaitCompletion { completion in
            withBytes(json) { function(instance, $0, completion) }
        }
    }

    /// Issues a request with a caller-made completion, untracked and without
    /// the async bridge: for benchmarks that measure the bare ABI call.
    public func send(_ json: orch_bytes, completion: orch_completion) {
        requestFunction(instance, json, completion)
    }

    /// Runs `call` as one tracked, outstanding operation of this instance.
    func tracked<T>(_ call: () async throws -> T) async throws -> T {
        guard enter() else { throw destroyedError }
        defer { leave() }
        return try await call()
    }

    /// Destroys the instance once nothing is outstanding. If requests are still
    /// running after `timeout`, the instance is deliberately leaked rather than
    /// destroyed under their feet; that is reported and returns false.
    @discardableResult
    public func destroy(timeout: Duration = .seconds(10)) async -> Bool {
        // nil: destroyed before; a second destroy must not release the instance again.
        let pending: Bool? = lock.withLock {
            if destroyed { return nil }
            destroyed = true
            return inflight > 0
        }
        guard let pending else { return false }
        if pending {
            let finished = await waitUntil(timeout: timeout) { done in
                let already = lock.withLock {
                    if inflight == 0 { return true }
                    drained.append(done)
                    return false
                }
                if already { done(true) }
            }
            if !finished {
                hostTable.logger.error("\(label) still has requests in flight after \(timeout); leaving it allocated instead of destroying it")
                return false
            }
        }
        destroyFunction(instance)
        return true
    }
}
