import Foundation
import OrchHost
import PluginAPI

/// Runs turns through a loaded backend the way the host does, timing what arrives.
struct TurnRunner {
    let backend: BackendClient
    let workingDirectory: String

    /// From handing the turn to the plugin to its first text delta.
    func firstDelta(session: String) async throws -> Duration {
        let first = Arrivals()
        let start = ContinuousClock.now
        _ = try await backend.runTurn(turn(session, "hello")) { event in
            if event.kind == .textDelta { first.add([0], at: .now) }
        }
        guard let arrived = first.all.first?.1 else { throw BenchFailure("the turn produced no text delta") }
        return arrived - start
    }

    /// When each stamped word ("t<n>") reached the host as an event.
    func stampedArrivals(session: String) async throws -> [(Int, ContinuousClock.Instant)] {
        let arrivals = Arrivals()
        _ = try await backend.runTurn(turn(session, "stream stamped words")) { event in
            let now = ContinuousClock.now
            if event.kind == .textDelta { arrivals.add(BackendBench.stamps(in: event.text.string), at: now) }
        }
        return arrivals.all
    }

    private func turn(_ session: String, _ message: String) throws -> Data {
        try JSON.encode([
            "turn_id": JSONValue.string(UUID().uuidString.lowercased()), "session_id": .string(session),
            "message": .string(message), "working_dir": .string(workingDirectory),
        ])
    }
}

/// Stamps and their arrival instants, collected from any thread.
final class Arrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, ContinuousClock.Instant)] = []

    func add(_ stamps: [Int], at instant: ContinuousClock.Instant) {
        lock.withLock { items += stamps.map { ($0, instant) } }
    }

    var all: [(Int, ContinuousClock.Instant)] { lock.withLock { items } }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
