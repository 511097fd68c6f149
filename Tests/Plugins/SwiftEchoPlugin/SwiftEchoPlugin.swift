import Foundation
import PluginAPI

/// A Swift plugin of every kind, for tests and benchmarks of the Swift layer.
@_cdecl("orch_plugin_entry_v1")
public func orchPluginEntry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
    PluginExport.entry(PluginDeclaration(
        name: "SwiftEchoPlugin", version: "1.0.0", description: "Echoes requests and events (tests)",
        store: EchoInstance.self, backend: EchoInstance.self, transport: EchoInstance.self))
}

final class EchoInstance: StorePlugin, BackendPlugin, TransportPlugin {
    let host: PluginHost
    /// Delays (ns) from a stamped delta's emission to its delivery here, for `orch-bench turn`.
    private let latencies = NSLock()
    nonisolated(unsafe) private var delays: [UInt64] = []

    struct Options: Decodable { var fail: String? }

    init(host: PluginHost) throws {
        self.host = host
        if let reason = try host.options(Options.self).fail {
            throw PluginError.invalid("asked_to_fail", "swift-echo-plugin: asked to fail: \(reason)")
        }
    }

    func handle(_ request: Request) async throws -> Data {
        switch request.op {
        case "echo": return request.json
        case "ask_host": return try await host.request(Data(#"{"op":"ping"}"#.utf8))
        case "latencies":
            let taken = latencies.withLock { defer { delays = [] }; return delays }
            return try JSON.encode(taken)
        default: throw PluginError.unsupported("swift-echo-plugin has no op \"\(request.op)\"")
        }
    }

    func runTurn(_ turn: Request, events: EventSink) async throws -> Data {
        struct Turn: Decodable { var turn_id: String; var message: String }
        let decoded = try turn.decode(Turn.self)
        // "stamp N": N deltas each carrying its emission time, for measuring the host's overhead.
        if decoded.message.hasPrefix("stamp "), let count = Int(decoded.message.dropFirst(6)) {
            for _ in 0..<count {
                events.emit(Event(kind: .textDelta, turnID: decoded.turn_id, text: "\(DispatchTime.now().uptimeNanoseconds) "))
            }
            return try JSON.encode(["session_id": "swift-session"])
        }
        for word in decoded.message.split(separator: " ") {
            events.emit(Event(kind: .textDelta, turnID: decoded.turn_id, text: String(word) + " "))
        }
        return try JSON.encode(["session_id": "swift-session"])
    }

    func start() async throws -> String { "swift-echo:nowhere" }
    func stop() async {}

    /// "bounce" custom events come straight back, for the benchmark's round trip.
    func deliver(_ event: EventView) {
        if event.kind == .custom { host.table.pointee.publish(host.table, event.pointer) }
        if event.kind == .wire, let stamp = UInt64(event.text.string.dropLast()) {
            let delay = DispatchTime.now().uptimeNanoseconds - stamp
            latencies.withLock { delays.append(delay) }
        }
    }
}
