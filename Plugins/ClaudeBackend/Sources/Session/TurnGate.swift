import Foundation

/// Lets one turn of a session run at a time; the others wait in arrival
/// order. A second message while a turn runs is queued, never interleaved.
final class TurnGate: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        await withCheckedContinuation { continuation in
            let proceed = lock.withLock {
                if !held {
                    held = true
                    return true
                }
                waiting.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    /// Takes the gate only if nobody holds it or waits for it.
    func tryAcquire() -> Bool {
        lock.withLock {
            guard !held else { return false }
            held = true
            return true
        }
    }

    func release() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            guard !waiting.isEmpty else {
                held = false
                return nil
            }
            return waiting.removeFirst()
        }
        next?.resume()
    }

    /// (a turn is running, how many wait behind it)
    var load: (busy: Bool, queued: Int) { lock.withLock { (held, waiting.count) } }
}
