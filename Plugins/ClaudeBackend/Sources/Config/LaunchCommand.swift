import Foundation

/// The argv, environment and working directory of one CLI process, built the
/// way the Claude Agent SDK builds them (docs/claude-backend.md, "Spawning").
struct LaunchCommand: Sendable, Equatable {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var directory: String

    /// The in-process MCP server that serves the host's tools: they reach the model as `mcp__orch__<name>`.
    static let toolServerName = "orch"
    static let entrypoint = "sdk-swift"

    /// `settings`: the session's own (SessionSettings); each field set replaces the config's.
    init(config: BackendConfig, executable: String, sessionID: String, resume: Bool, directory: String,
         hostTools: Bool, run: String, settings: SessionSettings = SessionSettings(),
         inherited: [String: String] = ProcessInfo.processInfo.environment) {
        self.executable = executable
        self.directory = directory
        var arguments = ["--output-format", "stream-json", "--verbose"]
        if let prompt = settings.systemPrompt {
            // The "=" form: a prompt may start with a dash.
            arguments.append("--system-prompt=\(prompt)")
        } else {
            arguments += ["--system-prompt-file", config.systemPromptFile]
        }
        if let tools = config.tools { arguments += ["--tools", tools.joined(separator: ",")] }
        let allowed = (settings.allowedTools ?? config.allowedTools) + (hostTools ? ["mcp__\(Self.toolServerName)"] : [])
        if !allowed.isEmpty { arguments += ["--allowedTools", allowed.joined(separator: ",")] }
        if let turns = settings.maxTurns ?? config.maxTurns { arguments += ["--max-turns", String(turns)] }
        if let disallowed = settings.disallowedTools, !disallowed.isEmpty {
            arguments += ["--disallowedTools", disallowed.joined(separator: ",")]
        }
        if let model = settings.model ?? config.model { arguments.append("--model=\(model)") }
        // Every permission question comes to us (can_use_tool) and is answered by permission_policy.
        arguments += ["--permission-prompt-tool", "stdio"]
        if let mode = config.permissionMode { arguments += ["--permission-mode", mode] }
        // The "=" form binds the value even if it starts with a dash.
        arguments.append(resume ? "--resume=\(sessionID)" : "--session-id=\(sessionID)")
        // Writes to protected paths are denied whatever the permission mode (BackendConfig.protectedPaths).
        if let settings = config.settingsJSON { arguments += ["--settings", settings] }
        if hostTools {
            arguments += ["--mcp-config", #"{"mcpServers":{"\#(Self.toolServerName)":{"name":"\#(Self.toolServerName)","type":"sdk"}}}"#]
        }
        arguments += ["--include-partial-messages", "--input-format", "stream-json"]
        self.arguments = arguments

        // As the SDK: the inherited environment without CLAUDECODE (we are not inside
        // Claude Code), the entrypoint label, then the configured variables.
        var environment = inherited
        environment["CLAUDECODE"] = nil
        environment["CLAUDE_CODE_ENTRYPOINT"] = Self.entrypoint
        // With the default tool set the CLI defers MCP tools behind ToolSearch; keep the host's inline.
        if hostTools && config.tools == nil { environment["ENABLE_TOOL_SEARCH"] = "false" }
        environment.merge(config.environment) { $1 }
        environment["CLAUDE_CODE_MAX_RETRIES"] = String(config.maxRetries)
        // Marks the CLI and every tool it starts as this run's (see BackendRun).
        environment[BackendRun.marker] = run
        if let directory = config.configDirectory { environment["CLAUDE_CONFIG_DIR"] = directory }
        environment["PWD"] = directory
        self.environment = environment
    }
}
