import Foundation

/// Writes to a child's stdin from a thread of its own, in order. A write can
/// block while the child is busy (the pipe holds 64 KB), which must never
/// happen on the Swift cooperative pool.
///
/// A write to a child that has exited raises SIGPIPE, which would kill the
/// host; plugins may not install handlers, so this thread blocks SIGPIPE in its
/// own signal mask, takes EPIPE as the answer and consumes the pending signal.
final class StdinWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Data] = []
    private var closing = false
    private var broken = false

    init(fd: Int32, name: String) {
        let thread = Thread { [self] in run(fd) }
        thread.name = name
        thread.start()
    }

    /// Queues `data`; false once the pipe is closed or broken.
    @discardableResult
    func write(_ data: Data) -> Bool {
        condition.withLock {
            guard !closing, !broken else { return false }
            queue.append(data)
            condition.signal()
            return true
        }
    }

    /// Closes stdin after everything queued has been written: the child sees end of file.
    func close() {
        condition.withLock {
            closing = true
            condition.signal()
        }
    }

    private func run(_ fd: Int32) {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        while true {
            let (batch, done): ([Data], Bool) = condition.withLock {
                while queue.isEmpty && !closing { condition.wait() }
                defer { queue = [] }
                return (queue, closing)
            }
            for data in batch where !writeAll(fd, data) {
                condition.withLock { broken = true; queue = [] }
                var none = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeSignal, nil, &none)
                break
            }
            if done || condition.withLock({ broken }) { break }
        }
        Glibc.close(fd)
    }

    private func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
