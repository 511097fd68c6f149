import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with a deadline, its output collected in a file.
///
/// Not Foundation's `Process`: on Linux it learns that a child exited only when
/// every holder of an inherited descriptor has closed it, and the server that
/// `pg_ctl start` leaves running holds one forever. Here the child gets stdin,
/// stdout and stderr only (every other descriptor is closed at spawn) and is
/// waited for with `waitpid`.
public enum Command {
    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32?
        public let output: String
        public var description: String {
            "\(command) \(status.map { "exited with status \($0)" } ?? "failed to run or did not finish in time"):\n\(output)"
        }
    }

    /// Runs `arguments[0]` (an absolute path) with the rest; throws `Failure` on a
    /// non-zero exit, or when `timeout` passes (the process is then killed).
    @discardableResult
    public static func run(_ arguments: [String], timeout: Duration = .seconds(120)) throws -> String {
        let command = arguments.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("orch-cmd-\(UUID().uuidString).log").path
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw Failure(command: command, status: nil, output: "cannot create \(logPath): \(String(cString: strerror(errno)))") }
        defer {
            close(log)
            unlink(logPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        guard let closeFrom = closeFrom else {
            throw Failure(command: command, status: nil, output: "this C library lacks posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or newer is needed)")
        }
        closeFrom(&actions, 3)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(command: command, status: nil, output: "posix_spawn: \(String(cString: strerror(spawned)))") }

        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        var finished = false
        while !finished {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid {
                finished = true
            } else if waited == -1, errno != EINTR {
                throw Failure(command: command, status: nil, output: "waitpid: \(String(cString: strerror(errno)))")
            } else if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(command: command, status: nil, output: output(logPath))
            } else {
                usleep(2000)
            }
        }
        let exitedNormally = status & 0x7F == 0
        let code = exitedNormally ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard code == 0 else { throw Failure(command: command, status: code, output: output(logPath)) }
        return output(logPath)
    }

    private static func output(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which the Glibc module does not import.
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()
}
