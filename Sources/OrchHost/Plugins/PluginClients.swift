import Foundation
import PluginAPI
import StoreModel

/// A loaded store instance.
public final class StoreClient: @unchecked Sendable {
    public let ref: PluginInstanceRef
    /// The `request` of `orch.store.diagnostics/1`, when the store provides it.
    private let diagnosticsFunction: orch_request_fn?

    init(_ ref: PluginInstanceRef, diagnosticsRequest: orch_request_fn?) {
        self.ref = ref
        diagnosticsFunction = diagnosticsRequest
    }

    public func request(_ json: Data) async throws -> Data { try await ref.request(json) }
    /// The `orch.store/1` operations as typed calls over `request`.
    public var api: StoreAPI { StoreAPI(request: { [ref] in try await ref.request($0) }) }

    /// Whether the store provides the optional `orch.store.diagnostics/1`.
    public var providesDiagnostics: Bool { diagnosticsFunction != nil }

    /// A request through `orch.store.diagnostics/1`.
    public func diagnosticsRequest(_ json: Data) async throws -> Data {
        guard let diagnosticsFunction else {
            throw PluginError.unsupported("\(ref.label) does not provide \(ORCH_IID_STORE_DIAGNOSTICS_V1), which is optional: the store serves orch, but the tests and benchmarks that need diagnostics cannot run against it")
        }
        return try await ref.request(json, through: diagnosticsFunction)
    }

    /// The `orch.store.diagnostics/1` operations as typed calls; each fails with
    /// `unsupported` when the store does not provide the interface.
    public var diagnostics: StoreDiagnostics { StoreDiagnostics(request: { [self] in try await diagnosticsRequest($0) }) }
}

/// A loaded backend instance.
public final class BackendClient: @unchecked Sendable {
    public let ref: PluginInstanceRef
    private let startTurnFunction: (@convention(c) (OpaquePointer?, orch_bytes, orch_event_sink, orch_completion) -> Void)?

    init(_ ref: PluginInstanceRef, table: orch_backend_v1) {
        self.ref = ref
        self.startTurnFunction = table.start_turn
    }

    public func request(_ json: Data) async throws -> Data { try await ref.request(json) }

    /// Runs one turn; `onEvent` sees each streamed event, in order, borrowed for the call.
    public func runTurn(_ turn: Data, onEvent: @escaping @Sendable (EventView) -> Void) async throws -> Data {
        guard let startTurnFunction else {
            throw PluginError.unsupported("\(ref.label) does not implement start_turn")
        }
        return try await ref.tracked {
            let sinkBox = Unmanaged.passRetained(SinkBox(onEvent))
            defer { sinkBox.release() }
            let sink = orch_event_sink(ctx: sinkBox.toOpaque(), emit: { ctx, event in
                guard let ctx, let event else { return }
                Unmanaged<SinkBox>.fromOpaque(ctx).takeUnretainedValue().onEvent(EventView(event))
            })
            return try await awaitCompletion { completion in
                withBytes(turn) { startTurnFunction(ref.instance, $0, sink, completion) }
            }
        }
    }

    private final class SinkBox {
        let onEvent: @Sendable (EventView) -> Void
        init(_ onEvent: @escaping @Sendable (EventView) -> Void) { self.onEvent = onEvent }
    }
}

/// A loaded transport instance.
public final class TransportClient: @unchecked Sendable {
    public let ref: PluginInstanceRef
    private let table: orch_transport_v1

    init(_ ref: PluginInstanceRef, table: orch_transport_v1) {
        self.ref = ref
        self.table = table
    }

    public func request(_ json: Data) async throws -> Data { try await ref.request(json) }

    /// Starts listening; returns what the plugin reports (`{"listening": ...}`).
    public func start() async throws -> Data {
        try await ref.tracked {
            try await awaitCompletion { table.start!(ref.instance, $0) }
        }
    }

    public func stop() async throws {
        _ = try await ref.tracked {
            try await awaitCompletion { table.stop!(ref.instance, $0) }
        }
    }

    /// Hands one event to the transport. The caller guarantees `seq` order and
    /// no concurrent calls (the event bus does).
    public func deliver(_ event: UnsafePointer<orch_event>) {
        table.deliver!(ref.instance, event)
    }
}
