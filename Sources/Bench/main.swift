import Foundation

/// `orch-bench [abi|...]`: prints figures; see docs/benchmarks.md. Run it from
/// the repository root on a release build (`make bench`).
let arguments = Array(CommandLine.arguments.dropFirst())
let suites: [String: ([String]) async throws -> Void] = [
    "abi": ABIBench.run,
    "turn": TurnBench.run,
]
let name = arguments.first ?? "abi"
guard let suite = suites[name] else {
    FileHandle.standardError.write(Data("orch-bench: unknown suite \"\(name)\"; choose one of \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}
try await suite(Array(arguments.dropFirst()))
