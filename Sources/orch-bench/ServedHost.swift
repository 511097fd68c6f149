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

    /// A private scratch directory holding `orch.toml`: `[host]` with the plugins beside this
    /// binary, a SQLite store in the directory, then `rest` (the backend and transports).
    static func scratchConfig(_ rest: String) throws -> (directory: URL, config: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let config = directory.appendingPathComponent("orch.toml")
        try """
            [host]
            plugin_dirs = ["\(binaries.path)"]
            log_level = "warning"
            [store]
            plugin = "SQLiteStore"
            [store.options]
            path = "\(directory.appendingPathComponent("orch.sqlite").path)"
            \(rest)
            """.write(to: config, atomically: true, encoding: .utf8)
        return (directory, config)
    }

    /// The rest of a scratch config for benchmarks of the HTTP side: the echo backend (no model
    /// process) and the WebSocketTransport on a free loopback port, without a token.
    static let echoOverWebSocket = """
        [backend]
        plugin = "SwiftEchoPlugin"
        [[transports]]
        plugin = "WebSocketTransport"
        [transports.options]
        listen = "127.0.0.1:0"
        auth = "none"
        """

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
