import Foundation
import PluginAPI

/// One opened plugin library and its validated descriptor.
///
/// Libraries are opened `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed:
/// unloading Swift code crashes the runtime later, so a swap means a restart.
public struct PluginLibrary: @unchecked Sendable {
    public let path: String
    public let name: String
    public let version: String
    public let description: String
    public let toolchain: String
    public let abiMajor: UInt32
    public let abiMinor: UInt32
    public let kinds: [PluginKind]
    let getInterface: @convention(c) (UnsafePointer<CChar>?) -> UnsafeRawPointer?

    public var abi: String { "\(abiMajor).\(abiMinor)" }

    /// Opens and validates the library at `path`.
    public static func open(_ path: String) throws(PluginLoadError) -> PluginLibrary {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard FileManager.default.fileExists(atPath: resolved) else {
            throw .notALibrary(path: path, reason: "no such file")
        }
        guard let handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw .notALibrary(path: path, reason: reason.replacingOccurrences(of: "\(resolved): ", with: ""))
        }
        guard let symbol = dlsym(handle, ABI.entrySymbol) else { throw .missingEntry(path: path) }
        let entry = unsafeBitCast(symbol, to: orch_plugin_entry_fn.self)
        guard let descriptor = entry(ABI.major, ABI.minor) else { throw .refusedHost(path: path) }
        return try validate(descriptor, path: path)
    }

    static func validate(_ pointer: UnsafePointer<orch_plugin_descriptor>, path: String) throws(PluginLoadError) -> PluginLibrary {
        // Read the fixed head first: struct_size and the versions are in every ABI.
        let size = Int(pointer.pointee.struct_size)
        let majorEnd = MemoryLayout<orch_plugin_descriptor>.offset(of: \.abi_minor)! + 4
        guard size >= majorEnd else {
            throw .malformedDescriptor(path: path, reason: "struct_size \(size) is too small to hold the ABI version")
        }
        let major = pointer.pointee.abi_major, minor = pointer.pointee.abi_minor
        let nameEnd = MemoryLayout<orch_plugin_descriptor>.offset(of: \.name)! + MemoryLayout<UnsafePointer<CChar>>.size
        let name = size >= nameEnd ? pointer.pointee.name.map { String(cString: $0) } ?? "?" : "?"
        let pluginABI = "\(major).\(minor)", hostABI = "\(ABI.major).\(ABI.minor)"
        guard major == ABI.major else {
            throw .abiMajorMismatch(path: path, plugin: name, pluginABI: pluginABI, hostABI: hostABI)
        }
        guard minor <= ABI.minor else {
            throw .abiMinorTooNew(path: path, plugin: name, pluginABI: pluginABI, hostABI: hostABI)
        }
        // Within major 1 every field below exists from 1.0 on.
        guard size >= MemoryLayout<orch_plugin_descriptor>.offset(of: \.get_interface)! + 8 else {
            throw .malformedDescriptor(path: path, reason: "struct_size \(size) is smaller than the ABI 1.0 descriptor")
        }
        let d = pointer.pointee
        guard let namePointer = d.name, let getInterface = d.get_interface else {
            throw .malformedDescriptor(path: path, reason: "name and get_interface are required")
        }
        let toolchain = d.toolchain.map { String(cString: $0) } ?? "c"
        if toolchain != "c" && toolchain != ABI.swiftToolchain {
            throw .toolchainMismatch(path: path, plugin: name, pluginToolchain: toolchain, hostToolchain: ABI.swiftToolchain)
        }
        let kinds = PluginKind.kinds(in: d.kinds)
        guard !kinds.isEmpty else {
            throw .malformedDescriptor(path: path, reason: "it declares no kind (store, backend or transport)")
        }
        return PluginLibrary(
            path: path, name: String(cString: namePointer),
            version: d.version.map { String(cString: $0) } ?? "0.0.0",
            description: d.description.map { String(cString: $0) } ?? "",
            toolchain: toolchain, abiMajor: major, abiMinor: minor, kinds: kinds, getInterface: getInterface)
    }

    /// The kind's vtable, copied into a host-sized struct (see `interface`).
    func table<Table>(for kind: PluginKind, as: Table.Type) throws(PluginLoadError) -> Table {
        guard kinds.contains(kind), let table = interface(kind.interfaceID, as: Table.self) else {
            throw .kindNotProvided(path: path, plugin: name, kind: kind, provides: kinds)
        }
        return table
    }

    /// The vtable of interface `iid`, or nil when the plugin does not provide
    /// it (an optional interface, an id it does not know). It is copied into a
    /// host-sized struct: fields past the plugin's `struct_size` stay zero
    /// (absent), as the versioning rules say.
    func interface<Table>(_ iid: String, as: Table.Type) -> Table? {
        guard let raw = getInterface(iid) else { return nil }
        let declared = Int(raw.load(as: UInt32.self))
        let result = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<Table>.size, alignment: MemoryLayout<Table>.alignment)
        defer { result.deallocate() }
        result.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<Table>.size)
        result.copyMemory(from: raw, byteCount: min(declared, MemoryLayout<Table>.size))
        return result.load(as: Table.self)
    }
}
