import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "backend":
    do { try await BackendBench.run(Array(arguments.dropFirst())) } catch {
        print("orch-bench backend failed: \(error)")
        exit(1)
    }
default:
    print("usage: orch-bench backend [--cold N] [--turns N] [--words N] [--every-ms N]")
}
