import Foundation

/// The real `orch` executable, run as an operator would, with its output
/// collected line by line so tests can wait for what it prints.
public final class OrchProcess: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    /// What the process reads as stdin (`orch chat` reads messages there).
    public let input = Pipe()
    private let output = Pipe(), errors = Pipe()

    public init(_ arguments: [String], directory: String = Paths.repository, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Paths.orch)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            guard let text = Self.read(handle) else { return }
            self?.lock.withLock { self?.stdoutText += text }
        }
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            guard let text = Self.read(handle) else { return }
            self?.lock.withLock { self?.stderrText += text }
        }
        try process.run()
    }

    /// What arrived, or nil at end of file, where the handler is removed: a readability source left on a
    /// pipe at EOF fires without end, and one still registered when the pipe's descriptor is closed (the
    /// `OrchProcess` going away) crashed the whole test process inside libdispatch's event loop.
    private static func read(_ handle: FileHandle) -> String? {
        let data = handle.availableData
        guard !data.isEmpty else {
            handle.readabilityHandler = nil
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    deinit {
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
    }

    /// Writes to the process's stdin; `closeInput` ends it.
    public func write(_ text: String) {
        signal(SIGPIPE, SIG_IGN) // a process that has exited must fail the write, not kill the tests
        try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }
    public func closeInput() { try? input.fileHandleForWriting.close() }

    public var stdout: String { lock.withLock { stdoutText } }
    public var stderr: String { lock.withLock { stderrText } }

    public func waitForOutput(_ text: String, timeout: Duration = .seconds(20)) async -> Bool {
        await eventually(timeout: timeout) { stdout.contains(text) || !process.isRunning }
            && stdout.contains(text)
    }

    public func terminate(signal: Int32 = SIGTERM) { kill(process.processIdentifier, signal) }

    /// Waits for exit with a deadline; kills the process if it does not exit.
    public func exitStatus(timeout: Duration = .seconds(20)) async -> Int32? {
        if await eventually(timeout: timeout, { !process.isRunning }) {
            // Let the pipes drain what was written just before exit.
            _ = await eventually(timeout: .milliseconds(200)) { false }
            return process.terminationStatus
        }
        terminate(signal: SIGKILL)
        return nil
    }

    /// Runs orch to completion (for commands that exit by themselves).
    public static func run(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let orch = try OrchProcess(arguments)
        let status = await orch.exitStatus()
        return (status, orch.stdout, orch.stderr)
    }
}
