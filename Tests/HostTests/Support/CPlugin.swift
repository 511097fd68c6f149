import Foundation

/// Builds the plain-C test plugin with `cc -shared` against the header alone,
/// optionally with the -D switches that make its broken variants.
enum CPlugin {
    static let source = "\(Paths.repository)/Tests/Plugins/CTestPlugin/c_test_plugin.c"

    static func build(_ defines: [String] = [], name: String = "libCTestPlugin.so") throws -> String {
        let directory = try Paths.temporaryDirectory()
        let output = directory.appendingPathComponent(name).path
        let result = try run("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-shared",
                                              "-fvisibility=hidden", "-pthread", "-I", Paths.header]
                             + defines.map { "-D\($0)" } + [source, "-o", output])
        guard result.status == 0 else { throw BuildFailure(output: result.output) }
        return output
    }

    struct BuildFailure: Error { let output: String }
}

/// Runs a command to completion and returns its exit status and combined output.
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
