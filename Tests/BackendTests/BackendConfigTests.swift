import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// `[backend.options]` mistakes stop the plugin at startup, naming the key.
@Suite struct BackendConfigTests {
    func refusal(_ options: [String: JSONValue], env: [String: String] = [:]) async -> PluginLoadError? {
        do {
            let harness = try await BackendHarness.start(options, env: env)
            await harness.stop()
            return nil
        } catch {
            return error as? PluginLoadError
        }
    }

    func invalid(_ message: String) -> PluginLoadError {
        .initFailed(plugin: "ClaudeBackend", kind: .backend, status: .invalid, message: "ClaudeBackend: \(message)")
    }

    @Test func unknownKeysAndBadValuesAreRefusedByName() async throws {
        #expect(await refusal(["max_turn": .int(3)]) == invalid(
            #"unknown option "max_turn" in [backend.options]; known options: allowed_tools, cli_path, config_dir, env, idle_timeout_s, max_retries, max_turns, model, permission_mode, permission_policy, prewarm, protected_paths, system_prompt_file, tools, turn_timeout_s"#))
        #expect(await refusal(["permission_mode": .string("yolo")]) == invalid(
            #"permission_mode "yolo" is not one of default, acceptEdits, plan, bypassPermissions, dontAsk, auto"#))
        #expect(await refusal(["permission_policy": .string("maybe")]) == invalid(#"permission_policy "maybe" must be "ask", "allow" or "deny""#))
        #expect(await refusal(["idle_timeout_s": .double(-1)]) == invalid("idle_timeout_s must be a positive number of seconds; got -1.0"))
        #expect(await refusal(["max_turns": .int(0)]) == invalid("max_turns must be at least 1; got 0"))
        #expect(await refusal(["max_retries": .int(-2)]) == invalid("max_retries must be 0 or more; got -2"))
        let missing = "/no/such/prompt.md"
        #expect(await refusal(["system_prompt_file": .string(missing)]) == invalid(
            "system_prompt_file \"\(missing)\" does not exist or is not readable; fix the path (relative paths are taken from orch's working directory \(FileManager.default.currentDirectoryPath))"))
        guard case .initFailed(_, _, _, let message)? = await refusal(["tools": .string("Bash")]) else {
            Issue.record("a string for the tools list was accepted")
            return
        }
        #expect(message.hasPrefix("ClaudeBackend: [backend.options] has a value of the wrong type: "))
    }

    @Test func theConfigDirectoryIsPrivate() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let path = harness.directory.appendingPathComponent("claude-config").path
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o700, "session files hold whole conversations; got \(String(mode ?? 0, radix: 8))")
    }

    @Test func bypassPermissionsAsRootNeedsTheSandboxFlag() async throws {
        guard geteuid() == 0 else { return }
        #expect(await refusal(["permission_mode": .string("bypassPermissions")]) == invalid(
            #"permission_mode = "bypassPermissions" is refused by the Claude CLI when running as root; run orch as another user, or, if this machine is a disposable sandbox, set IS_SANDBOX = "1" in [backend.options.env]"#))
        #expect(await refusal(["permission_mode": .string("bypassPermissions")], env: ["IS_SANDBOX": "1"]) == nil)
    }

    @Test func aConfiguredPromptFileIsWhatTheModelGets() async throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let prompt = directory.appendingPathComponent("prompt.md")
        try "You are a terse test orchestrator.".write(to: prompt, atomically: true, encoding: .utf8)
        let harness = try await BackendHarness.start(["system_prompt_file": .string(prompt.path)])
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.value != nil, "\(String(describing: turn.error))")
        let system = try #require(harness.loopback.messageRequests.first?.system)
        #expect(system.contains("You are a terse test orchestrator."))
        #expect(!system.contains { $0.contains("You are the orchestrator of Orch") })
    }
}
