import Foundation

/// One run of this plugin in one host process, and what it leaves for the next.
///
/// Every CLI this run starts carries `ORCH_CLAUDE_RUN=<id>` in its environment,
/// and so do the tools it starts (environments are inherited). The CLIs die with
/// the host (`orch_tied_spawn`), but a tool's process may be orphaned when its
/// CLI is killed. So the run is recorded in `<config_dir>/orch-runs` with the
/// host's pid and start time; the next start ends every process still marked
/// with a recorded run whose host is gone, and only those: a marker with a
/// random id can only be ours, and a live host's run is never touched.
final class BackendRun: Sendable {
    static let marker = "ORCH_CLAUDE_RUN"

    let id = UUID().uuidString.lowercased()
    private let registry: String?

    /// `directory`: where the record lives (the CLI's config directory); `nil` keeps no record.
    init(directory: String?) {
        registry = directory.map { URL(fileURLWithPath: $0).appendingPathComponent("orch-runs").path }
    }

    /// Ends what dead runs left behind and records this one; returns a line per run it cleaned up, to log.
    func start() -> [String] {
        guard let registry else { return [] }
        try? FileManager.default.createDirectory(atPath: (registry as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return Self.locked(registry) { records in
            var report: [String] = []
            records = records.filter { record in
                guard !record.hostIsAlive else { return true }
                let ended = Self.endProcesses(markedWith: record.run)
                if !ended.isEmpty {
                    report.append("ended \(ended.count) process(es) left by Claude CLI run \(record.run) of host pid \(record.hostPID), which is gone: pids \(ended.map(String.init).joined(separator: ", "))")
                }
                return false
            }
            records.append(RunRecord(run: id, hostPID: getpid(), hostStart: RunRecord.startTime(of: getpid()) ?? 0))
            return report
        }
    }

    /// A clean stop: this run's processes are gone, so its record goes too.
    func finish() {
        guard let registry else { return }
        Self.locked(registry) { records in records.removeAll { $0.run == id } }
    }

    /// SIGKILLs every process of this user whose environment holds the run's marker; returns their pids.
    static func endProcesses(markedWith run: String) -> [pid_t] {
        let needle = Data("\(marker)=\(run)".utf8)
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.filter { pid in
            guard pid != getpid(), let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            let marked = environment.split(separator: 0).contains { Data($0) == needle }
            return marked && kill(pid, SIGKILL) == 0
        }
    }

    /// Reads, changes and rewrites the record under an exclusive lock, so two hosts starting at once cannot lose an entry.
    @discardableResult
    private static func locked<T>(_ path: String, _ change: (inout [RunRecord]) -> T) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            var none: [RunRecord] = []
            return change(&none)
        }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        var records = text.split(separator: "\n").compactMap { RunRecord(line: String($0)) }
        let result = change(&records)
        _ = ftruncate(fd, 0)
        _ = lseek(fd, 0, SEEK_SET)
        try? handle.write(contentsOf: Data(records.map(\.line).joined().utf8))
        return result
    }
}

/// One line of `orch-runs`: `<run id> <host pid> <host start time in clock ticks>`.
struct RunRecord: Equatable {
    var run: String
    var hostPID: pid_t
    var hostStart: UInt64

    init(run: String, hostPID: pid_t, hostStart: UInt64) {
        self.run = run
        self.hostPID = hostPID
        self.hostStart = hostStart
    }

    init?(line: String) {
        let fields = line.split(separator: " ")
        guard fields.count == 3, let pid = pid_t(fields[1]), let start = UInt64(fields[2]) else { return nil }
        self.init(run: String(fields[0]), hostPID: pid, hostStart: start)
    }

    var line: String { "\(run) \(hostPID) \(hostStart)\n" }

    /// The pid alone could have been reused by another process since; the start time tells.
    var hostIsAlive: Bool { Self.startTime(of: hostPID) == hostStart }

    /// Field 22 of /proc/<pid>/stat (after the parenthesised command, which may hold spaces).
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
