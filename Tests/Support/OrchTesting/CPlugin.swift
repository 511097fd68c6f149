import Foundation

/// Builds the plain-C test plugin with `cc -shared` against the header alone,
/// optionally with the -D switches that make its broken variants.
public enum CPlugin {
    public static let source = "\(Paths.repository)/Tests/Plugins/CTestPlugin/c_test_plugin.c"

    public static func build(_ defines: [String] = [], name: String = "libCTestPlugin.so") throws -> String {
        let directory = try Paths.temporaryDirectory()
        let output = directory.appendingPathComponent(name).path
        let result = try run("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-shared",
                                              "-fvisibility=hidden", "-pthread", "-I", Paths.header]
                             + defines.map { "-D\($0)" } + [source, "-o", output])
        guard result.status == 0 else { throw BuildFailure(output: result.output) }
        return output
    }

    public struct BuildFailure: Error {
        public let output: String
        public init(output: String) { self.output = output }
    }
}
