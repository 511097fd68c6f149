import Foundation
import PluginAPI

/// What a successful turn produced: the reply, its session and its accounting.
public struct CompletedTurn: Sendable {
    public var turnID: String
    public var messageID: String
    public var response: String
    public var sessionID: String?
    public var usage: JSONValue
    public var cost: Double
}

/// A turn's eventual result, awaited by `send_chat` with `wait: true`.
public final class TurnOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<CompletedTurn, PluginError>?
    private var waiters: [CheckedContinuation<Result<CompletedTurn, PluginError>, Never>] = []

    func resolve(_ value: Result<CompletedTurn, PluginError>) {
        let waiting: [CheckedContinuation<Result<CompletedTurn, PluginError>, Never>] = lock.withLock {
            guard result == nil else { return [] }
            result = value
            defer { waiters = [] }
            return waiters
        }
        waiting.forEach { $0.resume(returning: value) }
    }

    public func value() async -> Result<CompletedTurn, PluginError> {
        await withCheckedContinuation { continuation in
            let ready: Result<CompletedTurn, PluginError>? = lock.withLock {
                if let result { return result }
                waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
