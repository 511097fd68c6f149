import Foundation

// orch-bench <benchmark> [options]; each benchmark lives in its own file.
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "ws":
    try await WebSocketBench.run(Array(arguments.dropFirst()))
case WebSocketBench.clientsCommand:
    try await BenchClients.run(Array(arguments.dropFirst()))
default:
    print("usage: orch-bench ws [--clients 1,1000] [--rate 50] [--seconds 10] [--memory-clients 5000]")
}
