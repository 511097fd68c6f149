import CTiedSpawn
import Foundation

/// How a child process ended.
enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// Someone else reaped it (a SIGCHLD set to ignore, a foreign waitpid(-1)).
    case unknown

    var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal)\(Self.signalNames[signal].map { " (\($0))" } ?? "")"
        case .unknown: "exited (status unavailable)"
        }
    }

    private static let signalNames: [Int32: String] = [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT"]
}

/// Why a child could not be started: the `errno` of `posix_spawn`.
struct SpawnError: Error, Sendable {
    let path: String
    let code: Int32
    var reason: String { String(cString: strerror(code)) }
}

/// A child process with piped stdio, started in its own process group (the
/// host owns terminal signals) and killed by the kernel if the host dies. Its stdout and stderr are
/// drained line by line on threads of its own, its exit is awaited on another
/// (`waitpid`, no SIGCHLD handler), and stdin is written by a `StdinWriter`.
///
/// Callbacks run on those threads: `line` for each stdout line, in order, then
/// `exit` exactly once, after the last line. They never overlap.
final class ChildProcess: @unchecked Sendable {
    struct Callbacks: Sendable {
        var line: @Sendable (ArraySlice<UInt8>, ContinuousClock.Instant) -> Void
        var stderrLine: @Sendable (String) -> Void
        var oversized: @Sendable (Int) -> Void
        var exit: @Sendable (ExitStatus) -> Void
    }

    let pid: pid_t
    private let stdin: StdinWriter
    private let state = NSCondition()
    private var status: ExitStatus?
    /// Set as soon as `waitpid` returned: from then on the pid may belong to another process.
    private var reaped = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Serializes line delivery with the exit callback, and stops lines after it.
    private let delivery = NSLock()
    private var delivered = false

    /// A line longer than this is dropped and reported instead of buffered.
    static let maxLineBytes = 256 * 1024 * 1024

    init(executable: String, arguments: [String], environment: [String: String], directory: String,
         name: String, callbacks: Callbacks) throws(SpawnError) {
        let pipes = try Self.pipes(3)
        let (input, output, errors) = (pipes[0], pipes[1], pipes[2])
        var spawned: pid_t = 0
        let code = Self.spawn(&spawned, executable, arguments, environment, directory, stdin: input.read, stdout: output.write, stderr: errors.write)
        for fd in [input.read, output.write, errors.write] { close(fd) }
        guard code == 0 else {
            for fd in [input.write, output.read, errors.read] { close(fd) }
            throw SpawnError(path: executable, code: code)
        }
        let pid = spawned
        self.pid = pid
        self.stdin = StdinWriter(fd: input.write, name: "\(name)-stdin")

        let stdoutDone = DispatchSemaphore(value: 0), stderrDone = DispatchSemaphore(value: 0)
        PipeReader.start(fd: output.read, name: "\(name)-stdout", maxLineBytes: Self.maxLineBytes, line: { [self] bytes, instant in
            delivery.withLock { if !delivered { callbacks.line(bytes, instant) } }
        }, oversized: callbacks.oversized, end: { stdoutDone.signal() })
        PipeReader.start(fd: errors.read, name: "\(name)-stderr", maxLineBytes: 1024 * 1024, line: { bytes, _ in
            callbacks.stderrLine(String(decoding: bytes, as: UTF8.self))
        }, oversized: { _ in }, end: { stderrDone.signal() })

        let waiter = Thread { [self] in
            let status = Self.wait(for: pid)
            state.withLock { reaped = true }
            stdin.close()
            // Let the readers drain what the child wrote before it died. A grandchild
            // holding the pipes open must not hide the exit, hence the bounds.
            _ = stdoutDone.wait(timeout: .now() + 2)
            _ = stderrDone.wait(timeout: .now() + 0.5)
            delivery.withLock {
                delivered = true
                callbacks.exit(status)
            }
            let resumed: [CheckedContinuation<Void, Never>] = state.withLock {
                self.status = status
                state.broadcast()
                defer { waiters = [] }
                return waiters
            }
            resumed.forEach { $0.resume() }
        }
        waiter.name = "\(name)-wait"
        waiter.start()
    }

    var exitStatus: ExitStatus? { state.withLock { status } }

    /// Queues bytes for stdin; false once stdin is closed or the child is gone.
    @discardableResult
    func write(_ data: Data) -> Bool { stdin.write(data) }

    func closeStdin() { stdin.close() }

    func signal(_ signal: Int32) {
        state.withLock { if !reaped { _ = kill(pid, signal) } }
    }

    /// Signals the child's process group (it leads one of its own), so what it started goes too.
    func signalGroup(_ signal: Int32) {
        state.withLock { if !reaped { _ = kill(-pid, signal) } }
    }

    /// Waits until the child has exited or `timeout` passed; true if it exited.
    func waitForExit(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let exited = self.state.withLock {
                        if self.status != nil { return true }
                        self.waiters.append(continuation)
                        return false
                    }
                    if exited { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || exitStatus != nil
        }
    }

    /// The same, blocking the calling thread: only for `destroy`, which may block.
    func waitForExitBlocking(until deadline: Date) -> Bool {
        state.withLock {
            while status == nil { if !state.wait(until: deadline) { break } }
            return status != nil
        }
    }

    // MARK: spawning

    /// Pipes above stdio (so `dup2` onto 0–2 always makes a fresh descriptor); all or none.
    private static func pipes(_ count: Int) throws(SpawnError) -> [(read: Int32, write: Int32)] {
        var made: [(read: Int32, write: Int32)] = []
        while made.count < count {
            guard let fds = GlibcExtras.closeOnExecPipe() else {
                let code = errno
                made.forEach { close($0.read); close($0.write) }
                throw SpawnError(path: "pipe", code: code)
            }
            made.append((aboveStdio(fds.read), aboveStdio(fds.write)))
        }
        return made
    }

    private static func aboveStdio(_ fd: Int32) -> Int32 {
        guard fd < 3 else { return fd }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        close(fd)
        return moved
    }

    /// In its own process group and tied to the host's life (`orch_tied_spawn`): a host killed
    /// with SIGKILL takes its CLIs with it instead of leaving them billing tokens for nobody.
    private static func spawn(_ pid: inout pid_t, _ executable: String, _ arguments: [String], _ environment: [String: String],
                              _ directory: String, stdin: Int32, stdout: Int32, stderr: Int32) -> Int32 {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        let (code, spawned) = SpawnThread.shared.run { () -> (Int32, pid_t) in
            var child: pid_t = 0
            let code = orch_tied_spawn(&child, executable, argv, envp, directory, stdin, stdout, stderr)
            return (code, child)
        }
        pid = spawned
        return code
    }

    private static func wait(for pid: pid_t) -> ExitStatus {
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, 0)
            if result == pid { break }
            if result < 0 && errno == EINTR { continue }
            return .unknown
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signal = raw & 0x7f
        return signal == 0 ? .exited((raw >> 8) & 0xff) : .signaled(signal)
    }
}
