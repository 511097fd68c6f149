import Foundation
import PluginAPI

/// How long the plugin holds a streamed line: from the moment its bytes came
/// off the CLI's stdout to the moment its events were handed to the host. The
/// most recent samples are kept; `status` reports their percentiles.
final class LatencyStats: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Duration] = []
    private var next = 0
    private var total = 0
    private let capacity = 8192

    func record(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        lock.withLock {
            if samples.count < capacity { samples.append(elapsed) } else { samples[next] = elapsed }
            next = (next + 1) % capacity
            total += 1
        }
    }

    var json: JSONValue {
        let sorted = lock.withLock { samples }.sorted()
        func microseconds(_ quantile: Double) -> JSONValue {
            guard !sorted.isEmpty else { return .null }
            let sample = sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))]
            return .double(Double(sample.components.attoseconds) / 1e12 + Double(sample.components.seconds) * 1e6)
        }
        return ["p50_us": microseconds(0.5), "p99_us": microseconds(0.99), "max_us": microseconds(1.0),
                "samples": .int(Int64(sorted.count)), "lines": .int(Int64(lock.withLock { total }))]
    }
}
