@_exported import COrchPlugin

/// The ABI version this copy of the Swift layer was compiled against, and the
/// toolchain tag a Swift image carries in its descriptor.
public enum ABI {
    public static let major = UInt32(ORCH_ABI_MAJOR)
    public static let minor = UInt32(ORCH_ABI_MINOR)
    public static let entrySymbol = ORCH_PLUGIN_ENTRY_SYMBOL

    /// Swift has no stable ABI on Linux: a Swift plugin binds to the libswiftCore
    /// the host already loaded, so both must come from the same toolchain line.
    public static let swiftToolchain: String = {
        #if compiler(>=7.0)
        return "swift-7"
        #elseif compiler(>=6.4)
        return "swift-6.4"
        #elseif compiler(>=6.3)
        return "swift-6.3"
        #elseif compiler(>=6.2)
        return "swift-6.2"
        #else
        return "swift-6.1-or-older"
        #endif
    }()
}

/// What a plugin library can provide; one library may provide several kinds.
public enum PluginKind: String, Sendable, CaseIterable, Codable {
    case store, backend, transport

    public var bit: UInt32 {
        switch self {
        case .store: UInt32(ORCH_KIND_STORE)
        case .backend: UInt32(ORCH_KIND_BACKEND)
        case .transport: UInt32(ORCH_KIND_TRANSPORT)
        }
    }

    public var interfaceID: String {
        switch self {
        case .store: ORCH_IID_STORE_V1
        case .backend: ORCH_IID_BACKEND_V1
        case .transport: ORCH_IID_TRANSPORT_V1
        }
    }

    public static func kinds(in bits: UInt32) -> [PluginKind] {
        allCases.filter { bits & $0.bit != 0 }
    }
}
