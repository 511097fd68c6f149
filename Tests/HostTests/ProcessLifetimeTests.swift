import AnthropicLoopback
import Foundation
import OrchTesting
import PluginAPI
import Testing

/// A model process never outlives the host: a CLI dies with a host killed by
/// SIGKILL, and what a dead run left behind (a tool's orphaned process, marked
/// with the run's id) is ended when the next host starts — only that.
@Suite struct ProcessLifetimeTests {
    static let marker = "ORCH_CLAUDE_RUN"

    @Test func aHostKilledMidTurnTakesItsCLIWithIt() async throws {
        let claude = try await ClaudeSetup.start()
        claude.loopback.enqueue(.slow(words: 400, every: .milliseconds(50)))
        let host = try await claude.host()
        let client = try host.connect()
        #expect(await client.next("connection_established") != nil)
        _ = try await client.ask(["type": "chat_message", "orchestrator_agent_id": .string(host.orchestratorID), "message": "talk slowly"])
        #expect(await client.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "chat_stream" } }, "the reply is streaming")
        let orch = host.orch.process.processIdentifier
        let clis = Self.markedProcesses().filter { Self.parent(of: $0) == orch }
        #expect(!clis.isEmpty, "the CLI runs as orch's child, marked with its run")

        host.orch.terminate(signal: SIGKILL)
        let gone = await eventually(timeout: .seconds(2)) { clis.allSatisfy { !Self.isRunning($0) } }
        #expect(gone, "CLI processes still running 2 s after the host was killed: \(clis.filter(Self.isRunning))")
        await claude.stop()
    }

    @Test func theNextStartEndsWhatADeadRunLeftAndNothingElse() async throws {
        let claude = try await ClaudeSetup.start()
        let configDirectory = claude.directory.appendingPathComponent("claude-config")
        try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true)
        // A tool process orphaned by a dead host's run, and one of a run whose host (this test process) is alive.
        let deadRun = UUID().uuidString.lowercased(), liveRun = UUID().uuidString.lowercased()
        let orphan = try Self.sleeper(marked: deadRun), bystander = try Self.sleeper(marked: liveRun)
        defer { kill(bystander.processIdentifier, SIGKILL); kill(orphan.processIdentifier, SIGKILL) }
        let me = getpid()
        try """
        \(deadRun) 2147483 1
        \(liveRun) \(me) \(try #require(Self.startTime(of: me)))

        """.write(to: configDirectory.appendingPathComponent("orch-runs"), atomically: true, encoding: .utf8)

        let host = try await claude.host()
        // Required: asking a running Process for its termination reason traps.
        try #require(await eventually(timeout: .seconds(5)) { !orphan.isRunning }, "the dead run's process is ended")
        #expect(orphan.terminationReason == .uncaughtSignal && orphan.terminationStatus == SIGKILL)
        #expect(host.orch.stderr.contains("ended 1 process(es) left by Claude CLI run \(deadRun) of host pid 2147483, which is gone: pids \(orphan.processIdentifier)"),
                "\(host.orch.stderr.suffix(2000))")
        #expect(bystander.isRunning, "a live host's run is never touched")
        let records = try String(contentsOf: configDirectory.appendingPathComponent("orch-runs"), encoding: .utf8)
        #expect(!records.contains(deadRun) && records.contains(liveRun), "\(records)")
        #expect(await host.stop() == 0)
        let afterStop = try String(contentsOf: configDirectory.appendingPathComponent("orch-runs"), encoding: .utf8)
        #expect(afterStop.split(separator: "\n").map { String($0.split(separator: " ")[0]) } == [liveRun], "a clean stop removes its own record")
        await claude.stop()
    }

    private static func sleeper(marked run: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["300"]
        process.environment = ["PATH": "/usr/bin:/bin", marker: run]
        try process.run()
        return process
    }

    /// This user's processes whose environment carries a run marker.
    static func markedProcesses() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }.filter { pid in
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environment.split(separator: 0).contains { $0.starts(with: Data("\(marker)=".utf8)) }
        }
    }

    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    static func parent(of pid: pid_t) -> pid_t? { statFields(pid).flatMap { pid_t($0[1]) } }
    static func startTime(of pid: pid_t) -> UInt64? { statFields(pid).flatMap { UInt64($0[19]) } }
    /// Gone, or dead and waiting to be reaped (a container's init may never reap).
    static func isRunning(_ pid: pid_t) -> Bool { statFields(pid).map { $0[0] != "Z" } ?? false }
}
