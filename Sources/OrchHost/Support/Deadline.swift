import Foundation
import PluginAPI

/// Waits until `register` calls its argument with `true`, or until `timeout`
/// passes (returns `false`). `register` must arrange for the callback to be
/// called at most once more; extra calls are ignored.
func waitUntil(timeout: Duration, _ register: (@escaping @Sendable (Bool) -> Void) -> Void) async -> Bool {
    await withCheckedContinuation { continuation in
        let shot = ResumeOnce(continuation)
        register { shot.resume($0) }
        Task {
            try? await Task.sleep(for: timeout)
            shot.resume(false)
        }
    }
}

/// Runs `body`, giving up after `timeout` (the body keeps running but its result is ignored).
func withTimeout(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> Void) async -> Result<Void, any Error> {
    await withCheckedContinuation { continuation in
        let shot = ResumeOnce(continuation)
        Task {
            do { try await body(); shot.resume(.success(())) } catch { shot.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            shot.resume(.failure(PluginError(.timeout, code: "timeout", "no answer within \(timeout)")))
        }
    }
}
