import Foundation

/// `orch-bench [abi|turn|backend|...]`: prints figures; see docs/benchmarks.md.
/// Run it from the repository root on a release build (`make bench`).
let arguments = Array(CommandLine.arguments.dropFirst())
let suites: [String: ([String]) async throws -> Void] = [
    "abi": ABIBench.run,
    "turn": TurnBench.run,
    "backend": BackendBench.run,
    "store": { try await StoreBench(arguments: $0).run() },
    "ws": WebSocketBench.run,
    "history": HistoryBench.run,
    "soak": SoakBench.run,
    "agents": AgentBench.run,
    // The client processes `orch-bench ws` spawns to load the server.
    WebSocketBench.clientsCommand: BenchClients.run,
]
let name = arguments.first ?? "abi"
guard let suite = suites[name] else {
    FileHandle.standardError.write(Data("orch-bench: unknown suite \"\(name)\"; choose one of \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}
do {
    try await suite(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("orch-bench \(name) failed: \(error)\n".utf8))
    exit(1)
}
