import Foundation

/// Where things are when the tests run: the repository (from this file's path)
/// and the directory `swift build` put the plugins and `orch` in (the test
/// binary's own directory, unless ORCH_PLUGIN_PATH says otherwise).
public enum Paths {
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    public static let buildDirectory: String = {
        var url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        // Inside an .xctest bundle the binary sits a few levels below the build directory.
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("orch").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    public static func plugin(_ name: String) -> String { "\(buildDirectory)/lib\(name).so" }
    public static var orch: String { "\(buildDirectory)/orch" }
    public static let header = "\(repository)/Sources/PluginAPI/C/include"

    /// A fresh directory under the system temp dir, removed by the caller.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("orch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
