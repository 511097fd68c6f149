import Foundation

// orch-bench <suite> [options]; each suite parses its own options.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "store":
    do { try await StoreBench(arguments: Array(arguments.dropFirst())).run() } catch {
        FileHandle.standardError.write(Data("orch-bench store: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("usage: orch-bench store [--plugin SQLiteStore|PostgresStore] [--rows N] ...\n\(StoreBench.usage)\n".utf8))
    exit(2)
}
