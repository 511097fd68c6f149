import Foundation

/// A real `orch serve` process whose transports include the UnixSocketTransport,
/// on a fresh SQLite store, with the C test plugin as its backend by default.
public final class UnixHost: @unchecked Sendable {
    public let orch: OrchProcess
    public let directory: URL
    public let config: String
    public let socket: String

    public struct StartFailure: Error, CustomStringConvertible {
        let stdout: String
        let stderr: String
        public var description: String { "orch serve did not become ready\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// `unixOptions`: extra lines for the transport's options table; `transports`:
    /// more `[[transports]]` tables after it; `plugin`: the transport library;
    /// `host`, `backendOptions` and `agents`: lines for those tables.
    public static func start(in directory: URL? = nil, socket: String? = nil, backend: String? = nil, backendOptions: String = "",
                             plugin: String? = nil, unixOptions: String = "", transports: String = "", host: String = "",
                             agents: String = "", environment: [String: String] = [:]) async throws -> UnixHost {
        let directory = try directory ?? Paths.temporaryDirectory()
        let socket = socket ?? directory.appendingPathComponent("orch.sock").path
        let config = try writeConfig(in: directory, socket: socket, backend: backend, backendOptions: backendOptions, plugin: plugin,
                                     unixOptions: unixOptions, transports: transports, host: host, agents: agents)
        let orch = try OrchProcess(["serve", "--config", config], directory: directory.path, environment: environment)
        guard await orch.waitForOutput("orch ready", timeout: .seconds(60)) else {
            orch.terminate(signal: SIGKILL)
            throw StartFailure(stdout: orch.stdout, stderr: orch.stderr)
        }
        return UnixHost(orch: orch, directory: directory, config: config, socket: socket)
    }

    /// Writes the `orch.toml` that `start` serves (also for hosts a test expects
    /// to fail before they are ready) and returns its path; the arguments are `start`'s.
    public static func writeConfig(in directory: URL, socket: String, backend: String? = nil, backendOptions: String = "",
                                   plugin: String? = nil, unixOptions: String = "", transports: String = "", host: String = "",
                                   agents: String = "") throws -> String {
        let config = directory.appendingPathComponent("orch.toml").path
        try """
        [host]
        plugin_dirs = ["\(Paths.buildDirectory)"]
        \(host)
        [store]
        plugin = "SQLiteStore"
        [store.options]
        path = "\(directory.appendingPathComponent("orch.sqlite").path)"
        [backend]
        plugin = "\(try backend ?? CPlugin.build())"
        [backend.options]
        \(backendOptions)
        [[transports]]
        plugin = "\(try plugin ?? UnixTransport.library())"
        [transports.options]
        path = "\(socket)"
        \(unixOptions)
        \(transports)
        [agents]
        \(agents)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    private init(orch: OrchProcess, directory: URL, config: String, socket: String) {
        self.orch = orch
        self.directory = directory
        self.config = config
        self.socket = socket
    }

    /// The orchestrator the host printed at startup.
    public var orchestratorID: String {
        orch.stdout.split(separator: "\n").first { $0.hasPrefix("orchestrator ") }.map { String($0.dropFirst("orchestrator ".count)) } ?? ""
    }

    public func connect(reading: Bool = true) throws -> LineClient { try LineClient(socket, reading: reading) }

    /// The address another transport reported ("listening on …"), other than the Unix socket.
    public var tcpAddress: String {
        orch.stdout.split(separator: "\n").map(String.init)
            .first { $0.hasPrefix("listening on ") && !$0.contains("unix:") }.map { String($0.dropFirst("listening on ".count)) } ?? ""
    }

    /// SIGTERM, then the exit status (nil if it had to be killed).
    public func stop() async -> Int32? {
        orch.terminate()
        let status = await orch.exitStatus(timeout: .seconds(30))
        if status != 0 { print("orch exited with \(String(describing: status)); stderr:\n\(orch.stderr.suffix(3000))") }
        return status
    }
}
