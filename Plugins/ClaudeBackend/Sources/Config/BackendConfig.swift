import Foundation
import PluginAPI

/// `[backend.options]`, validated when the plugin is created so a mistake is
/// reported at startup, naming the key. Every key is described in
/// docs/claude-backend.md.
struct BackendConfig: Sendable {
    /// `ask`: the host decides each request (its rules, grants, or a person); `allow`/`deny` answer alone, for unattended use.
    enum PermissionPolicy: String, Sendable { case ask, allow, deny }

    var cliPath: String?
    var model: String?
    /// Absolute path of the system prompt file, checked to be readable.
    var systemPromptFile: String
    var permissionMode: String?
    var permissionPolicy: PermissionPolicy
    var allowedTools: [String]
    /// nil: the CLI's default built-in tools.
    var tools: [String]?
    var maxTurns: Int?
    var idleTimeout: Duration
    var turnTimeout: Duration
    var maxRetries: Int
    var configDirectory: String?
    /// Start a session's CLI when the host asks (`prewarm`), before its first turn.
    var prewarm: Bool
    var environment: [String: String]
    /// Paths the agent's file tools may not write (`permissions.deny` rules `Edit(…)` and
    /// `Write(…)` in `--settings`), in the CLI's rule syntax: gitignore-style patterns
    /// relative to the working directory, `//` for an absolute path.
    var protectedPaths: [String]

    /// What an agent could use to run code as the operator (build files run at the next
    /// `make` or `swift build`), rewrite history (`.git`), or change its own permissions
    /// (`.claude`): protected unless `protected_paths` says otherwise. Orch's own config
    /// file (`$ORCH_CONFIG_FILE`, which `orch serve` exports) is added to these.
    static let defaultProtectedPaths = [
        "**/.git/**", "**/.claude/**", "**/Makefile", "**/makefile", "**/GNUmakefile", "**/*.mk", "**/Package.swift",
    ]

    static let defaultIdleTimeoutSeconds = 600.0
    static let defaultTurnTimeoutSeconds = 1800.0
    static let defaultMaxRetries = 4
    static let permissionModes = ["default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"]

    private struct Options: Decodable {
        var cli_path: String?
        var model: String?
        var system_prompt_file: String?
        var permission_mode: String?
        var permission_policy: String?
        var allowed_tools: [String]?
        var tools: [String]?
        var max_turns: Int?
        var idle_timeout_s: Double?
        var turn_timeout_s: Double?
        var max_retries: Int?
        var config_dir: String?
        var env: [String: String]?
        var prewarm: Bool?
        var protected_paths: [String]?
    }

    private static let keys: Set<String> = [
        "cli_path", "model", "system_prompt_file", "permission_mode", "permission_policy", "allowed_tools", "tools",
        "max_turns", "idle_timeout_s", "turn_timeout_s", "max_retries", "config_dir", "env", "prewarm", "protected_paths",
    ]

    /// `pluginDirectory` is where the library lives: the default prompt is looked up from there too.
    init(json: Data, pluginDirectory: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PluginError) {
        if let object = try? JSONDecoder().decode([String: JSONValue].self, from: json) {
            let unknown = Set(object.keys).subtracting(Self.keys).sorted()
            if let first = unknown.first {
                throw Self.invalid("unknown option \"\(first)\" in [backend.options]; known options: \(Self.keys.sorted().joined(separator: ", "))")
            }
        }
        let options: Options
        do { options = try JSONDecoder().decode(Options.self, from: json) } catch {
            throw Self.invalid("[backend.options] has a value of the wrong type: \(error)")
        }
        cliPath = options.cli_path.flatMap { $0.isEmpty ? nil : $0 }
        model = options.model.flatMap { $0.isEmpty ? nil : $0 }
        systemPromptFile = try PromptFile.resolve(options.system_prompt_file, pluginDirectory: pluginDirectory)
        if let mode = options.permission_mode, !Self.permissionModes.contains(mode) {
            throw Self.invalid("permission_mode \"\(mode)\" is not one of \(Self.permissionModes.joined(separator: ", "))")
        }
        permissionMode = options.permission_mode
        if options.permission_mode == "bypassPermissions" && geteuid() == 0
            && (options.env?["IS_SANDBOX"] ?? environment["IS_SANDBOX"]) != "1" {
            throw Self.invalid("permission_mode = \"bypassPermissions\" is refused by the Claude CLI when running as root; run orch as another user, or, if this machine is a disposable sandbox, set IS_SANDBOX = \"1\" in [backend.options.env]")
        }
        guard let policy = PermissionPolicy(rawValue: options.permission_policy ?? "deny") else {
            throw Self.invalid("permission_policy \"\(options.permission_policy ?? "")\" must be \"ask\", \"allow\" or \"deny\"")
        }
        permissionPolicy = policy
        allowedTools = options.allowed_tools ?? []
        tools = options.tools
        if let turns = options.max_turns, turns < 1 { throw Self.invalid("max_turns must be at least 1; got \(turns)") }
        maxTurns = options.max_turns
        idleTimeout = try Self.seconds(options.idle_timeout_s, default: Self.defaultIdleTimeoutSeconds, key: "idle_timeout_s")
        turnTimeout = try Self.seconds(options.turn_timeout_s, default: Self.defaultTurnTimeoutSeconds, key: "turn_timeout_s")
        if let retries = options.max_retries, retries < 0 { throw Self.invalid("max_retries must be 0 or more; got \(retries)") }
        maxRetries = options.max_retries ?? Self.defaultMaxRetries
        configDirectory = try options.config_dir.map(Self.makeDirectory)
        self.environment = options.env ?? [:]
        prewarm = options.prewarm ?? true
        protectedPaths = try Self.protectedPaths(options.protected_paths, configFile: environment["ORCH_CONFIG_FILE"])
    }

    /// The configured list as is (`[]` protects nothing), or the defaults plus Orch's config file.
    private static func protectedPaths(_ configured: [String]?, configFile: String?) throws(PluginError) -> [String] {
        guard let configured else {
            guard let configFile, configFile.hasPrefix("/") else { return defaultProtectedPaths }
            return defaultProtectedPaths + ["/" + configFile]
        }
        for path in configured where path.isEmpty || path.contains("(") || path.contains(")") || path.contains("\n") {
            throw invalid("protected_paths entry \"\(path)\" must be a non-empty path pattern without parentheses or newlines, e.g. \"**/Makefile\" or \"//etc/orch.toml\"")
        }
        return configured
    }

    /// `--settings` for the CLI: the protected paths as deny rules for every file-writing tool.
    var settingsJSON: String? {
        guard !protectedPaths.isEmpty else { return nil }
        let rules = protectedPaths.flatMap { ["Edit(\($0))", "Write(\($0))"] }
        let settings: [String: [String: [String]]] = ["permissions": ["deny": rules]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(settings)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func seconds(_ value: Double?, default fallback: Double, key: String) throws(PluginError) -> Duration {
        let seconds = value ?? fallback
        guard seconds > 0, seconds.isFinite else { throw invalid("\(key) must be a positive number of seconds; got \(seconds)") }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The CLI keeps its settings and session files (whole conversations) there: create it
    /// now, private to this account, rather than fail later.
    private static func makeDirectory(_ path: String) throws(PluginError) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        do { try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw invalid("config_dir \"\(absolute)\" cannot be created: \(error.localizedDescription)")
        }
        return absolute
    }

    static func invalid(_ message: String) -> PluginError { .invalid("invalid_options", "ClaudeBackend: \(message)") }
}
