import Foundation
import Synchronization

/// Lets one turn of a session run at a time; the others wait in arrival
/// order. A second message while a turn runs is queued, never interleaved.
final class TurnGate: Sendable {
    private struct State {
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func acquire() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                if !state.held {
                    state.held = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    /// Takes the gate only if nobody holds it or waits for it.
    func tryAcquire() -> Bool {
        state.withLock { state in
            guard !state.held else { return false }
            state.held = true
            return true
        }
    }

    func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }

    /// (a turn is running, how many wait behind it)
    var load: (busy: Bool, queued: Int) { state.withLock { ($0.held, $0.waiting.count) } }
}
