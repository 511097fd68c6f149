import Foundation
import Synchronization
import PluginAPI

/// How long the plugin holds a streamed line: from the moment its bytes came
/// off the CLI's stdout to the moment its events were handed to the host. The
/// most recent samples are kept; `status` reports their percentiles.
final class LatencyStats: Sendable {
    private struct Window {
        var samples: [Duration] = []
        var next = 0
        var total = 0
    }

    private let window = Mutex(Window())
    private let capacity = 8192

    func record(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        window.withLock { window in
            if window.samples.count < capacity { window.samples.append(elapsed) } else { window.samples[window.next] = elapsed }
            window.next = (window.next + 1) % capacity
            window.total += 1
        }
    }

    var json: JSONValue {
        let (unsorted, total) = window.withLock { ($0.samples, $0.total) }
        let sorted = unsorted.sorted()
        func microseconds(_ quantile: Double) -> JSONValue {
            guard !sorted.isEmpty else { return .null }
            let sample = sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))]
            return .double(Double(sample.components.attoseconds) / 1e12 + Double(sample.components.seconds) * 1e6)
        }
        return ["p50_us": microseconds(0.5), "p99_us": microseconds(0.99), "max_us": microseconds(1.0),
                "samples": .int(Int64(sorted.count)), "lines": .int(Int64(total))]
    }
}
