import PluginAPI

/// Why a plugin library could not be used. Each case is a distinct, named
/// failure so an operator (and a test) can tell them apart.
public enum PluginLoadError: Error, Equatable, CustomStringConvertible {
    case notFound(name: String, searched: [String])
    case notALibrary(path: String, reason: String)
    case missingEntry(path: String)
    case refusedHost(path: String)
    case malformedDescriptor(path: String, reason: String)
    case abiMajorMismatch(path: String, plugin: String, pluginABI: String, hostABI: String)
    case abiMinorTooNew(path: String, plugin: String, pluginABI: String, hostABI: String)
    case toolchainMismatch(path: String, plugin: String, pluginToolchain: String, hostToolchain: String)
    case kindNotProvided(path: String, plugin: String, kind: PluginKind, provides: [PluginKind])
    case initFailed(plugin: String, kind: PluginKind, status: Status, message: String)

    public var description: String {
        switch self {
        case .notFound(let name, let searched):
            "plugin \"\(name)\" not found: looked for lib\(name).so in \(searched.joined(separator: ", ")); build it (swift build) or set [host] plugin_dirs, or name the plugin by its path"
        case .notALibrary(let path, let reason):
            "\(path) is not a loadable shared library: \(reason)"
        case .missingEntry(let path):
            "\(path) is not an Orch plugin: it does not export \(ABI.entrySymbol) (see docs/writing-a-plugin.md)"
        case .refusedHost(let path):
            "\(path) refused to work with this host (ABI \(ABI.major).\(ABI.minor)): its entry point returned no descriptor"
        case .malformedDescriptor(let path, let reason):
            "\(path) returned a malformed descriptor: \(reason)"
        case .abiMajorMismatch(let path, let plugin, let pluginABI, let hostABI):
            "\(path): plugin \(plugin) was built for Orch plugin ABI \(pluginABI), but this host speaks ABI \(hostABI); rebuild the plugin against the host's orch_plugin.h"
        case .abiMinorTooNew(let path, let plugin, let pluginABI, let hostABI):
            "\(path): plugin \(plugin) needs Orch plugin ABI \(pluginABI), newer than this host's \(hostABI); upgrade orch or use a plugin built for \(hostABI)"
        case .toolchainMismatch(let path, let plugin, let pluginToolchain, let hostToolchain):
            "\(path): plugin \(plugin) was built with \(pluginToolchain), but the host runs \(hostToolchain); Swift has no stable ABI on Linux, so rebuild the plugin with the host's toolchain"
        case .kindNotProvided(let path, let plugin, let kind, let provides):
            "\(path): plugin \(plugin) is not a \(kind) plugin (it provides: \(provides.map(\.rawValue).joined(separator: ", ")))"
        case .initFailed(let plugin, let kind, let status, let message):
            "plugin \(plugin) failed to start as \(kind) (\(status)): \(message)"
        }
    }
}
