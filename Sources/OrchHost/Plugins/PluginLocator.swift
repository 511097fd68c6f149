import Foundation

/// Finds plugin libraries: a plugin is named by path (anything with a `/` or
/// ending in `.so`) or by name, found as `lib<Name>.so` in the search directories.
public struct PluginLocator: Sendable {
    public let directories: [String]

    /// Search order: the config's `plugin_dirs` (relative to the config file),
    /// then `$ORCH_PLUGIN_PATH` (colon-separated), then the directory holding
    /// the running executable, which is where `swift build` puts the plugins.
    public init(configured: [String], relativeTo base: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var directories = configured.map { Self.absolute($0, relativeTo: base) }
        if let extra = environment["ORCH_PLUGIN_PATH"], !extra.isEmpty {
            directories += extra.split(separator: ":").map { Self.absolute(String($0), relativeTo: base) }
        }
        directories.append(Self.executableDirectory)
        var seen = Set<String>()
        self.directories = directories.filter { seen.insert($0).inserted }
    }

    public static var executableDirectory: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    static func absolute(_ path: String, relativeTo base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }

    public func path(for plugin: String, relativeTo base: String) throws(PluginLoadError) -> String {
        if plugin.contains("/") || plugin.hasSuffix(".so") {
            return Self.absolute(plugin, relativeTo: base)
        }
        for directory in directories {
            let candidate = "\(directory)/lib\(plugin).so"
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw .notFound(name: plugin, searched: directories)
    }

    /// Every `lib*.so` in the search directories, first occurrence of a file name wins.
    public func allLibraries() -> [String] {
        var seen = Set<String>()
        var found: [String] = []
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where name.hasPrefix("lib") && name.hasSuffix(".so") && seen.insert(name).inserted {
                found.append("\(directory)/\(name)")
            }
        }
        return found
    }
}
