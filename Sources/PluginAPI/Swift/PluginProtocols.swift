import Foundation

/// What every plugin instance is, whatever its kind.
///
/// `init` runs on the host's control thread and may block briefly (open a
/// database, run migrations); throw a `PluginError` saying what was wrong and
/// what to do. Deinit is the destroy: release everything there.
public protocol PluginInstance: AnyObject, Sendable {
    init(host: PluginHost) throws
    /// A control-plane request (`request.op`); reply with a JSON body. Unknown
    /// ops should throw `PluginError.unsupported`.
    func handle(_ request: Request) async throws -> Data
}

extension PluginInstance {
    public func handle(_ request: Request) async throws -> Data {
        throw PluginError.unsupported("\(Self.self) does not support the op \"\(request.op)\"")
    }
}

/// `orch.store/1`: persistence. Store operations arrive through `handle`.
public protocol StorePlugin: PluginInstance {}

/// `orch.store.diagnostics/1`, optional: a store that conforms also exports
/// the diagnostics interface, whose requests arrive through `handleDiagnostics`
/// on the same instance.
public protocol StoreDiagnosticsPlugin: StorePlugin {
    func handleDiagnostics(_ request: Request) async throws -> Data
}

/// Where a backend streams the events of one turn, in order.
public struct EventSink: @unchecked Sendable {
    let sink: orch_event_sink
    public init(_ sink: orch_event_sink) { self.sink = sink }

    public func emit(_ event: Event) {
        event.withCEvent { sink.emit(sink.ctx, $0) }
    }
}

/// `orch.backend/1`: the model.
public protocol BackendPlugin: PluginInstance {
    /// Runs one turn, emitting its events through `events` before returning the
    /// result JSON. Must not use `events` after returning.
    func runTurn(_ turn: Request, events: EventSink) async throws -> Data
}

/// `orch.transport/1`: how clients reach the host.
public protocol TransportPlugin: PluginInstance {
    /// Starts listening; returns the address clients can reach.
    func start() async throws -> String
    /// Stops accepting and closes clients.
    func stop() async
    /// One event for the clients, in `seq` order. Must not block: queue it.
    func deliver(_ event: EventView)
}
