import CTiedSpawn
import Foundation

/// The one thread ClaudeBackend forks its CLI processes from. A child's
/// parent-death signal (`PR_SET_PDEATHSIG`) fires when the thread that forked
/// it exits, and the threads async code runs on come and go; this one lives as
/// long as the process, so the signal fires exactly when the host dies.
final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in serve() }
        thread.name = "claude-spawn"
        thread.start()
    }

    /// Runs `body` on the spawn thread and returns its result; blocks the caller meanwhile (a fork takes milliseconds).
    func run<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        var result: T?
        condition.withLock {
            jobs.append {
                result = body()
                done.signal()
            }
            condition.signal()
        }
        done.wait()
        return result!
    }

    private func serve() {
        while true {
            let job: () -> Void = condition.withLock {
                while jobs.isEmpty { condition.wait() }
                return jobs.removeFirst()
            }
            job()
        }
    }
}
