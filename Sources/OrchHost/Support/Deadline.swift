import Foundation

/// A continuation that is resumed exactly once, by whichever comes first:
/// the awaited condition or a deadline.
final class OneShot<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, Never>?

    init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = continuation }

    func resume(_ value: Value) {
        let taken: CheckedContinuation<Value, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        taken?.resume(returning: value)
    }
}

/// Waits until `register` calls its argument with `true`, or until `timeout`
/// passes (returns `false`). `register` must arrange for the callback to be
/// called at most once more; extra calls are ignored.
func waitUntil(timeout: Duration, _ register: (@escaping @Sendable (Bool) -> Void) -> Void) async -> Bool {
    await withCheckedContinuation { continuation in
        let shot = OneShot(continuation)
        register { shot.resume($0) }
        Task {
            try? await Task.sleep(for: timeout)
            shot.resume(false)
        }
    }
}
