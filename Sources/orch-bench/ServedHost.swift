import Foundation

/// A real `orch serve` (the binary beside this one) on a config the benchmark
/// wrote, measured from outside as an operator would see it.
struct ServedHost {
    let process: Process
    /// What it printed before "orch ready" (the launch summary: plugins, addresses).
    let summary: [String]
    /// Its stdout after "orch ready".
    let lines: LineReader

    /// The directory `orch-bench` runs from, which holds `orch` and the plugins.
    static let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

    /// Starts `orch serve --config <config>` and returns once it printed "orch ready".
    static func start(config: URL) async throws -> ServedHost {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("orch")
        process.arguments = ["serve", "--config", config.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = LineReader(output.fileHandleForReading)
        var summary: [String] = []
        while let line = await lines.next() {
            if line.hasPrefix("orch ready") { return ServedHost(process: process, summary: summary, lines: lines) }
            summary.append(line)
        }
        throw BenchFailure("orch serve exited before it was ready: \(summary.joined(separator: "\n"))")
    }

    /// The port of the first "listening on HOST:PORT" line of the summary.
    var port: Int? {
        summary.lazy.filter { $0.hasPrefix("listening on ") }.compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }.first
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
