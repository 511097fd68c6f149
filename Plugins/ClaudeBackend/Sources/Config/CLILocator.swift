import Foundation
import Synchronization
import PluginAPI

/// Finds the Claude Code CLI: `cli_path` if configured (a path, or a name
/// looked up on PATH), else `claude` on PATH, else the binary bundled in an
/// installed `claude-agent-sdk` wheel (asked of `python3`, which knows where
/// pip put it).
enum CLILocator {
    static let installHint = "install it with `pip install claude-agent-sdk` (it bundles the CLI) or `npm install -g @anthropic-ai/claude-code`, or set cli_path in [backend.options]"

    static func locate(configured: String?, environment: [String: String]) async throws(PluginError) -> String {
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        if let configured {
            let path = configured.contains("/") ? configured : onPath(configured, searchPath: searchPath) ?? configured
            try checkExecutable(path, configured: true)
            return path
        }
        if let path = onPath("claude", searchPath: searchPath) { return path }
        if let path = await bundledInSDK(environment: environment) { return path }
        throw notFound("the Claude Code CLI was not found: no `claude` on PATH and no claude-agent-sdk with a bundled CLI for python3; \(installHint)")
    }

    static func checkExecutable(_ path: String, configured: Bool) throws(PluginError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw notFound("the Claude Code CLI was not found at \(configured ? "cli_path " : "")\(path); \(installHint)")
        }
        guard access(path, X_OK) == 0 else {
            throw notFound("the Claude Code CLI at \(path) is not executable; run `chmod +x \(path)` or \(installHint)")
        }
    }

    static func notFound(_ message: String) -> PluginError {
        PluginError(.unavailable, code: "cli_not_found", message, retryable: false)
    }

    private static func onPath(_ name: String, searchPath: String) -> String? {
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// `<site-packages>/claude_agent_sdk/_bundled/claude`, found without importing the package.
    private static func bundledInSDK(environment: [String: String]) async -> String? {
        let script = "import importlib.util as u; s = u.find_spec('claude_agent_sdk'); print(s.submodule_search_locations[0] if s else '')"
        for python in ["python3", "python"] {
            guard let interpreter = onPath(python, searchPath: environment["PATH"] ?? "/usr/bin:/bin"),
                  let output = await ShortCommand.run(interpreter, ["-c", script], environment: environment) else { continue }
            let package = output.trimmingCharacters(in: .whitespacesAndNewlines)
            let candidate = "\(package)/_bundled/claude"
            if !package.isEmpty, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

extension CLILocator {
    /// `posix_spawn` failed: a missing or unrunnable binary is `cli_not_found`, anything else a spawn failure.
    static func spawnFailed(_ error: SpawnError) -> PluginError {
        switch error.code {
        case ENOENT, EACCES, ENOEXEC, ENOTDIR:
            notFound("the Claude Code CLI at \(error.path) could not be started (\(error.reason)); \(installHint)")
        default:
            PluginError(.unavailable, code: "cli_spawn_failed", "starting the Claude Code CLI at \(error.path) failed: \(error.reason)", retryable: true)
        }
    }
}

/// The CLI's location, looked up on first use and remembered once found (a
/// failed lookup is retried on the next turn, so installing it needs no restart).
final class CLIPath: Sendable {
    private let configured: String?
    private let environment: [String: String]
    private let found = Mutex<String?>(nil)

    init(configured: String?, environment: [String: String]) {
        self.configured = configured
        self.environment = environment
    }

    var known: String? { found.withLock { $0 } }

    func path() async throws(PluginError) -> String {
        if let found = known {
            try CLILocator.checkExecutable(found, configured: configured != nil)
            return found
        }
        let located = try await CLILocator.locate(configured: configured, environment: environment)
        found.withLock { $0 = located }
        return located
    }
}
