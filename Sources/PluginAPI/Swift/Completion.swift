import Foundation

extension orch_completion {
    /// Calls the completion with a result; the body is lent for the duration of the call.
    public func complete(_ result: Result<Data, PluginError>) {
        switch result {
        case .success(let body): withBytes(body) { fn(ctx, ORCH_OK, $0) }
        case .failure(let error): withBytes(error.body) { fn(ctx, error.status.rawValue, $0) }
        }
    }

    public func complete(_ body: () async throws -> Data) async {
        do { complete(.success(try await body())) } catch { complete(.failure(PluginError(error))) }
    }
}

/// Turns a callback-style ABI request into `async`: the continuation travels as
/// the completion's context and is resumed exactly once by `fn`.
public func awaitCompletion(_ issue: (orch_completion) -> Void) async throws -> Data {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
        let box = Unmanaged.passRetained(ContinuationBox(continuation)).toOpaque()
        issue(orch_completion(ctx: box, fn: resumeContinuation))
    }
}

/// A completion that calls `handler` once with the result, from whichever thread completes it.
/// Use it to issue a request synchronously, in the caller's order, without an async hop.
public func makeCompletion(_ handler: @escaping @Sendable (Result<Data, PluginError>) -> Void) -> orch_completion {
    orch_completion(ctx: Unmanaged.passRetained(HandlerBox(handler)).toOpaque(), fn: callHandler)
}

private final class HandlerBox {
    let handler: @Sendable (Result<Data, PluginError>) -> Void
    init(_ handler: @escaping @Sendable (Result<Data, PluginError>) -> Void) { self.handler = handler }
}

private let callHandler: orch_completion_fn = { ctx, status, body in
    guard let ctx else { return }
    let box = Unmanaged<HandlerBox>.fromOpaque(ctx).takeRetainedValue()
    box.handler(status == ORCH_OK ? .success(body.data) : .failure(PluginError(status: Status(code: status), body: body.data)))
}

private final class ContinuationBox {
    let continuation: CheckedContinuation<Data, any Error>
    init(_ continuation: CheckedContinuation<Data, any Error>) { self.continuation = continuation }
}

private let resumeContinuation: orch_completion_fn = { ctx, status, body in
    guard let ctx else { return }
    let box = Unmanaged<ContinuationBox>.fromOpaque(ctx).takeRetainedValue()
    if status == ORCH_OK {
        box.continuation.resume(returning: body.data)
    } else {
        box.continuation.resume(throwing: PluginError(status: Status(code: status), body: body.data))
    }
}
