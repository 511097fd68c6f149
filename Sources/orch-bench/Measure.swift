import Foundation

/// Timing helpers shared by every benchmark suite.
enum Measure {
    /// Nanoseconds per iteration: the median of `runs` timed loops of `iterations`.
    static func perCall(iterations: Int, runs: Int = 5, _ body: () -> Void) -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { body() }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations))
        }
        return samples.sorted()[runs / 2]
    }

    static func perCall(iterations: Int, runs: Int = 5, _ body: () async throws -> Void) async rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { try await body() }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations))
        }
        return samples.sorted()[runs / 2]
    }

    /// The p-th percentile (0...100) of samples.
    static func percentile(_ samples: [Double], _ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int((p / 100) * Double(sorted.count)))]
    }

    static func format(nanoseconds: Double) -> String {
        nanoseconds < 1_000 ? String(format: "%.1f ns", nanoseconds)
            : nanoseconds < 1_000_000 ? String(format: "%.2f µs", nanoseconds / 1_000)
            : String(format: "%.2f ms", nanoseconds / 1_000_000)
    }

    /// Unbuffered, so figures appear as they are measured even through a pipe.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func row(_ label: String, _ value: String, target: String = "") {
        say(label.padding(toLength: 62, withPad: " ", startingAt: 0) + value.padding(toLength: 14, withPad: " ", startingAt: 0) + target)
    }
}
