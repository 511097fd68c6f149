import Foundation
import PluginAPI

/// The baseline for the per-token delay: the same CLI, read by a bare
/// blocking reader thread that only timestamps lines, with no plugin between.
enum RawCLI {
    static func stampedArrivals(cli: String, environment: [String: JSONValue], directory: String,
                                configDirectory: String) async throws -> [(Int, ContinuousClock.Instant)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["--output-format", "stream-json", "--verbose", "--input-format", "stream-json",
                             "--include-partial-messages", "--model", "claude-sonnet-4-5", "--tools", "",
                             "--system-prompt", "bench", "--session-id=\(UUID().uuidString.lowercased())"]
        var env = ProcessInfo.processInfo.environment
        for (name, value) in environment { env[name] = value.stringValue }
        env["CLAUDE_CONFIG_DIR"] = configDirectory
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        let arrivals = Arrivals()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            read(output.fileHandleForReading.fileDescriptor, into: arrivals)
            done.signal()
        }
        reader.start()
        let line = #"{"type":"user","message":{"role":"user","content":"stream stamped words"}}"# + "\n"
        input.fileHandleForWriting.write(Data(line.utf8))
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                done.wait()
                continuation.resume()
            }
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return arrivals.all
    }

    /// Reads lines until the turn's result, stamping each delta line when its bytes arrived.
    private static func read(_ fd: Int32, into arrivals: Arrivals) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            let now = ContinuousClock.now
            buffer += chunk[0..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[..<newline]
                buffer.removeSubrange(...newline)
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
                if object["type"] as? String == "result" { return }
                if let event = object["event"] as? [String: Any], let delta = event["delta"] as? [String: Any],
                   delta["type"] as? String == "text_delta", let text = delta["text"] as? String {
                    arrivals.add(BackendBench.stamps(in: text), at: now)
                }
            }
        }
    }
}
