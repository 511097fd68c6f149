import Foundation

/// What a Swift plugin library provides. A library exports itself with one line:
///
/// ```swift
/// @_cdecl("orch_plugin_entry_v1")
/// public func entry(_ major: UInt32, _ minor: UInt32) -> UnsafeRawPointer? {
///     PluginExport.entry(PluginDeclaration(name: "SQLiteStore", version: "1.0.0", store: SQLiteStore.self))
/// }
/// ```
public struct PluginDeclaration: Sendable {
    public var name: String
    public var version: String
    public var description: String
    public var store: (any StorePlugin.Type)?
    public var backend: (any BackendPlugin.Type)?
    public var transport: (any TransportPlugin.Type)?

    public init(name: String, version: String, description: String = "",
                store: (any StorePlugin.Type)? = nil, backend: (any BackendPlugin.Type)? = nil,
                transport: (any TransportPlugin.Type)? = nil) {
        self.name = name
        self.version = version
        self.description = description
        self.store = store
        self.backend = backend
        self.transport = transport
    }

    var kinds: UInt32 {
        (store == nil ? 0 : PluginKind.store.bit) | (backend == nil ? 0 : PluginKind.backend.bit)
            | (transport == nil ? 0 : PluginKind.transport.bit)
    }
}

extension orch_completion: @unchecked @retroactive Sendable {}
extension orch_event_sink: @unchecked @retroactive Sendable {}

/// Builds the C descriptor and vtables for a `PluginDeclaration`. This code is
/// compiled into each plugin image, so its globals are per plugin.
public enum PluginExport {
    public static func entry(_ declaration: @autoclosure () -> PluginDeclaration) -> UnsafeRawPointer? {
        exportLock.lock()
        defer { exportLock.unlock() }
        if let descriptor { return UnsafeRawPointer(descriptor) }
        let declared = declaration()
        declaredPlugin = declared
        let made = UnsafeMutablePointer<orch_plugin_descriptor>.allocate(capacity: 1)
        made.initialize(to: orch_plugin_descriptor(
            struct_size: UInt32(MemoryLayout<orch_plugin_descriptor>.size),
            abi_major: ABI.major, abi_minor: ABI.minor, kinds: declared.kinds,
            name: strdup(declared.name), version: strdup(declared.version),
            description: strdup(declared.description), toolchain: strdup(ABI.swiftToolchain),
            get_interface: getInterface))
        descriptor = made
        return UnsafeRawPointer(made)
    }
}

// Set once, under the lock, by `entry`, which the host calls before anything else.
private let exportLock = NSLock()
nonisolated(unsafe) private var declaredPlugin: PluginDeclaration?
nonisolated(unsafe) private var descriptor: UnsafeMutablePointer<orch_plugin_descriptor>?

private let getInterface: @convention(c) (UnsafePointer<CChar>?) -> UnsafeRawPointer? = { iid in
    guard let iid, let declared = declaredPlugin else { return nil }
    switch String(cString: iid) {
    case ORCH_IID_STORE_V1 where declared.store != nil: return UnsafeRawPointer(storeTable)
    case ORCH_IID_STORE_DIAGNOSTICS_V1 where declared.store is any StoreDiagnosticsPlugin.Type:
        return UnsafeRawPointer(storeDiagnosticsTable)
    case ORCH_IID_BACKEND_V1 where declared.backend != nil: return UnsafeRawPointer(backendTable)
    case ORCH_IID_TRANSPORT_V1 where declared.transport != nil: return UnsafeRawPointer(transportTable)
    default: return nil
    }
}

// MARK: - Instances

/// The object behind an `orch_instance *`. Subclasses keep the kind's existential
/// so the hot paths (deliver, emit) need no dynamic cast.
class InstanceBox: @unchecked Sendable {
    let instance: any PluginInstance
    init(_ instance: any PluginInstance) { self.instance = instance }

    static func from(_ pointer: OpaquePointer?) -> Self {
        Unmanaged<Self>.fromOpaque(UnsafeRawPointer(pointer!)).takeUnretainedValue()
    }
}

/// A store keeps its diagnostics side too, when it has one, so the diagnostics
/// table acts on the instance `orch.store/1` created.
final class StoreBox: InstanceBox, @unchecked Sendable {
    let diagnostics: (any StoreDiagnosticsPlugin)?
    init(_ store: any StorePlugin) { diagnostics = store as? any StoreDiagnosticsPlugin; super.init(store) }
}

final class BackendBox: InstanceBox, @unchecked Sendable {
    let backend: any BackendPlugin
    init(_ backend: any BackendPlugin) { self.backend = backend; super.init(backend) }
}

final class TransportBox: InstanceBox, @unchecked Sendable {
    let transport: any TransportPlugin
    init(_ transport: any TransportPlugin) { self.transport = transport; super.init(transport) }
}

private func create(
    _ host: UnsafePointer<orch_host>?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ make: (PluginHost) throws -> InstanceBox
) -> orch_status {
    func fail(_ failure: PluginError) -> orch_status {
        if let error, capacity > 0 {
            let bytes = Array(failure.message.utf8.prefix(capacity - 1))
            for (index, byte) in bytes.enumerated() { error[index] = CChar(bitPattern: byte) }
            error[bytes.count] = 0
        }
        return failure.status == .ok ? Status.internal.rawValue : failure.status.rawValue
    }
    guard let host, let out else { return fail(.invalid("invalid_call", "create was called without a host table or an out pointer")) }
    do {
        let box = try make(PluginHost(host))
        out.pointee = OpaquePointer(Unmanaged.passRetained(box).toOpaque())
        return ORCH_OK
    } catch {
        return fail(PluginError(error))
    }
}

private let destroy: orch_destroy_fn = { instance in
    guard let instance else { return }
    Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(instance)).release()
}

private let request: orch_request_fn = { instance, json, completion in
    let body = json.data
    run(InstanceBox.from(instance), completion) { try await $0.instance.handle(try Request(json: body)) }
}

/// Runs `work` in a task and completes with its result. The task holds the
/// instance only while `work` runs: the host may destroy the instance as soon
/// as it sees the completion, and that release must be the last one, so that
/// the instance's deinit runs inside `destroy`, while the host table is valid.
private func run<Box: InstanceBox>(_ box: Box, _ completion: orch_completion, _ work: @escaping @Sendable (Box) async throws -> Data) {
    let held = Unmanaged.passRetained(box)
    Task {
        let result: Result<Data, PluginError>
        do { result = .success(try await work(held.takeUnretainedValue())) } catch { result = .failure(PluginError(error)) }
        held.release()
        completion.complete(result)
    }
}

// MARK: - Vtables

nonisolated(unsafe) private let storeTable: UnsafeMutablePointer<orch_store_v1> = {
    let table = UnsafeMutablePointer<orch_store_v1>.allocate(capacity: 1)
    table.initialize(to: orch_store_v1(
        struct_size: UInt32(MemoryLayout<orch_store_v1>.size),
        create: { host, _, out, error, capacity in
            create(host, out, error, capacity) { StoreBox(try declaredPlugin!.store!.init(host: $0)) }
        },
        destroy: destroy, request: request))
    return table
}()

nonisolated(unsafe) private let storeDiagnosticsTable: UnsafeMutablePointer<orch_store_diagnostics_v1> = {
    let table = UnsafeMutablePointer<orch_store_diagnostics_v1>.allocate(capacity: 1)
    table.initialize(to: orch_store_diagnostics_v1(
        struct_size: UInt32(MemoryLayout<orch_store_diagnostics_v1>.size),
        request: { instance, json, completion in
            let body = json.data
            run(StoreBox.from(instance), completion) { box in
                // get_interface offers this table only to stores that have diagnostics.
                guard let diagnostics = box.diagnostics else {
                    throw PluginError.unsupported("\(type(of: box.instance)) does not provide \(ORCH_IID_STORE_DIAGNOSTICS_V1)")
                }
                return try await diagnostics.handleDiagnostics(try Request(json: body))
            }
        }))
    return table
}()

nonisolated(unsafe) private let backendTable: UnsafeMutablePointer<orch_backend_v1> = {
    let table = UnsafeMutablePointer<orch_backend_v1>.allocate(capacity: 1)
    table.initialize(to: orch_backend_v1(
        struct_size: UInt32(MemoryLayout<orch_backend_v1>.size),
        create: { host, _, out, error, capacity in
            create(host, out, error, capacity) { BackendBox(try declaredPlugin!.backend!.init(host: $0)) }
        },
        destroy: destroy, request: request,
        start_turn: { instance, turn, sink, completion in
            let body = turn.data
            run(BackendBox.from(instance), completion) {
                try await $0.backend.runTurn(Request(op: "start_turn", json: body), events: EventSink(sink))
            }
        }))
    return table
}()

nonisolated(unsafe) private let transportTable: UnsafeMutablePointer<orch_transport_v1> = {
    let table = UnsafeMutablePointer<orch_transport_v1>.allocate(capacity: 1)
    table.initialize(to: orch_transport_v1(
        struct_size: UInt32(MemoryLayout<orch_transport_v1>.size),
        create: { host, _, out, error, capacity in
            create(host, out, error, capacity) { TransportBox(try declaredPlugin!.transport!.init(host: $0)) }
        },
        destroy: destroy, request: request,
        start: { instance, completion in
            run(TransportBox.from(instance), completion) { try JSON.encode(["listening": try await $0.transport.start()]) }
        },
        stop: { instance, completion in
            run(TransportBox.from(instance), completion) { await $0.transport.stop(); return emptyJSONObject }
        },
        deliver: { instance, event in
            guard let event else { return }
            TransportBox.from(instance).transport.deliver(EventView(event))
        }))
    return table
}()
