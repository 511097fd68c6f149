import AnthropicLoopback
import Foundation
import OrchTesting

/// The real ClaudeBackend pointed at a loopback Anthropic API, with its own
/// CLI config directory (sessions live there, so a restarted host that shares
/// it can resume them) and working directory.
struct ClaudeSetup {
    let loopback: AnthropicLoopback
    let directory: URL

    static func start(sharing other: ClaudeSetup? = nil) async throws -> ClaudeSetup {
        let directory = try other?.directory ?? Paths.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("work"), withIntermediateDirectories: true)
        return ClaudeSetup(loopback: try await AnthropicLoopback.start(), directory: directory)
    }

    var workingDir: String { directory.appendingPathComponent("work").path }

    var options: String {
        """
        model = "claude-sonnet-4-5"
        tools = []
        max_retries = 0
        config_dir = "\(directory.appendingPathComponent("claude-config").path)"
        env = { ANTHROPIC_BASE_URL = "\(loopback.baseURL)", ANTHROPIC_API_KEY = "test-key", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1" }
        """
    }

    /// `options` with built-in tools the tests' agents use (Bash), run without asking.
    var agentOptions: String {
        options.replacingOccurrences(of: "tools = []", with: "tools = [\"Bash\"]\nallowed_tools = [\"Bash\"]")
    }

    /// `options` whose Bash and Edit are asked about (`permission_policy = "ask"`): none is allowed outright.
    var askingOptions: String {
        options.replacingOccurrences(of: "tools = []", with: "tools = [\"Bash\", \"Edit\"]\npermission_policy = \"ask\"")
    }

    func start(store: String, sessionID: String? = nil, agents: String = "", permissions: String = "",
               backendOptions: String? = nil) async throws -> TestRuntime {
        try await TestRuntime.start(store: store, backend: Paths.plugin("ClaudeBackend"), backendOptions: backendOptions ?? options,
                                    sessionID: sessionID, workingDir: workingDir, agents: agents, permissions: permissions)
    }

    /// A real `orch serve` (Unix socket, SQLite in `directory`) whose orchestrator is this Claude, in `workingDir`.
    func host(in directory: URL? = nil, agents: String = "", backendOptions: String? = nil) async throws -> UnixHost {
        try await UnixHost.start(in: directory, backend: Paths.plugin("ClaudeBackend"), backendOptions: backendOptions ?? options,
                                 host: "working_dir = \"\(workingDir)\"", agents: agents)
    }

    func stop() async { await loopback.shutdown() }
}
