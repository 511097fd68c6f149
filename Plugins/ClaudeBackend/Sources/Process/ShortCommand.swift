import Foundation
import Synchronization

/// Runs a short command and collects its stdout, without blocking the caller's thread.
enum ShortCommand {
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], timeout: Duration = .seconds(10)) async -> String? {
        let collected = Collected()
        guard let process = try? ChildProcess(
            executable: executable, arguments: arguments, environment: environment, directory: "/", name: "orch-oneshot",
            callbacks: .init(line: { bytes, _ in collected.append(String(decoding: bytes, as: UTF8.self)) },
                             stderrLine: { _ in }, oversized: { _ in }, exit: { _ in }))
        else { return nil }
        process.closeStdin()
        guard await process.waitForExit(timeout: timeout) else {
            process.signal(SIGKILL)
            return nil
        }
        return process.exitStatus == .exited(0) ? collected.text : nil
    }

    private final class Collected: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var text: String { lines.withLock { $0.joined(separator: "\n") } }
    }
}
