import Foundation
import PluginAPI

/// Where the orchestrator's system prompt comes from: `system_prompt_file`, or
/// the `config/prompts/orchestrator.md` that ships with Orch.
enum PromptFile {
    static let defaultRelativePath = "config/prompts/orchestrator.md"

    /// An absolute, readable path. A relative `configured` path is taken from
    /// the host's working directory; the default is looked for there and in the
    /// directories above the plugin library (a build tree inside the checkout).
    static func resolve(_ configured: String?, pluginDirectory: String?) throws(PluginError) -> String {
        let workingDirectory = FileManager.default.currentDirectoryPath
        if let configured, !configured.isEmpty {
            let path = absolute(configured, from: workingDirectory)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw BackendConfig.invalid("system_prompt_file \"\(path)\" does not exist or is not readable; fix the path (relative paths are taken from orch's working directory \(workingDirectory))")
            }
            return path
        }
        var candidates = [absolute(defaultRelativePath, from: workingDirectory)]
        if let pluginDirectory {
            var directory = URL(fileURLWithPath: pluginDirectory)
            for _ in 0..<5 {
                directory.deleteLastPathComponent()
                candidates.append(directory.appendingPathComponent(defaultRelativePath).path)
            }
        }
        guard let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw BackendConfig.invalid("the default orchestrator prompt \(defaultRelativePath) was not found (looked in \(candidates.joined(separator: ", "))); set system_prompt_file in [backend.options]")
        }
        return found
    }

    private static func absolute(_ path: String, from directory: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }
}
