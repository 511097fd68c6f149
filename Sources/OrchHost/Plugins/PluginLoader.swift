import Foundation
import Logging
import PluginAPI

/// Opens plugin libraries (each file once) and creates kind instances with
/// their host tables.
public final class PluginLoader: @unchecked Sendable {
    public let locator: PluginLocator
    let logger: Logger
    private var libraries: [String: PluginLibrary] = [:]
    private let lock = NSLock()

    public init(locator: PluginLocator, logger: Logger) {
        self.locator = locator
        self.logger = logger
    }

    /// Opens a library by name or path; the same real path is opened once.
    public func library(_ plugin: String, relativeTo base: String) throws(PluginLoadError) -> PluginLibrary {
        let path = try locator.path(for: plugin, relativeTo: base)
        let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let cached = lock.withLock({ libraries[key] }) { return cached }
        let opened = try PluginLibrary.open(path)
        lock.withLock { libraries[key] = opened }
        return opened
    }

    /// What a new instance is given: its label in logs, its options, and where its requests and events go.
    public struct Context {
        public var label: String
        public var config: Data
        public var requests: any HostRequestHandler
        public var events: any HostEventSink

        public init(label: String, config: Data, requests: any HostRequestHandler, events: any HostEventSink) {
            self.label = label
            self.config = config
            self.requests = requests
            self.events = events
        }
    }

    private func instance(_ library: PluginLibrary, _ kind: PluginKind, _ functions: PluginInstanceRef.Functions, _ context: Context) throws(PluginLoadError) -> PluginInstanceRef {
        let table = HostTable(label: context.label, config: context.config, logger: logger, requests: context.requests, events: context.events)
        return try PluginInstanceRef(library: library, kind: kind, functions: functions, context: table)
    }

    public func makeStore(_ library: PluginLibrary, _ context: Context) throws(PluginLoadError) -> StoreClient {
        let table = try library.table(for: .store, as: orch_store_v1.self)
        // Optional: a store without it still serves the product.
        let diagnostics = library.interface(ORCH_IID_STORE_DIAGNOSTICS_V1, as: orch_store_diagnostics_v1.self)
        if let diagnostics, diagnostics.request == nil {
            throw .malformedDescriptor(path: library.path, reason: "the \(ORCH_IID_STORE_DIAGNOSTICS_V1) table lacks request")
        }
        return StoreClient(try instance(library, .store, .init(create: table.create, destroy: table.destroy, request: table.request), context),
                           diagnosticsRequest: diagnostics?.request)
    }

    public func makeBackend(_ library: PluginLibrary, _ context: Context) throws(PluginLoadError) -> BackendClient {
        let table = try library.table(for: .backend, as: orch_backend_v1.self)
        return BackendClient(try instance(library, .backend, .init(create: table.create, destroy: table.destroy, request: table.request), context), table: table)
    }

    public func makeTransport(_ library: PluginLibrary, _ context: Context) throws(PluginLoadError) -> TransportClient {
        let table = try library.table(for: .transport, as: orch_transport_v1.self)
        guard table.start != nil, table.stop != nil, table.deliver != nil else {
            throw .malformedDescriptor(path: library.path, reason: "the transport table lacks start, stop or deliver")
        }
        return TransportClient(try instance(library, .transport, .init(create: table.create, destroy: table.destroy, request: table.request), context), table: table)
    }
}
