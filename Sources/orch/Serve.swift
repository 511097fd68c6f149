import ArgumentParser
import Dispatch
import Foundation
import Logging
import OrchHost
import PluginAPI

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the configured plugins and serve until SIGINT or SIGTERM.")

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Resume the orchestrator with this Claude session id.")
    var session: String?

    @Option(name: .long, help: "The agent's working directory (overrides [host] working_dir).")
    var cwd: String?

    func run() async throws {
        let config: OrchConfig
        do { config = try ConfigLoader.load(file: options.config) } catch { throw fail(error.description, code: 2) }
        let workingDir: String
        do { workingDir = try Launch.workingDirectory(cli: cwd, config: config.host.workingDir) } catch { throw fail(error.description, code: 2) }
        // Plugins may protect the config from the agent (ClaudeBackend's protected_paths). Set before any plugin
        // is loaded: setenv is unsafe while other threads may read the environment.
        setenv("ORCH_CONFIG_FILE", URL(fileURLWithPath: options.config).standardizedFileURL.resolvingSymlinksInPath().path, 1)
        let logger = Logging.bootstrapOrch(level: config.host.logLevel)
        let startedAt = ContinuousClock.now
        let runtime = OrchRuntime(config: config, logger: logger)
        do {
            try await runtime.start(serving: Launch.Plan(sessionID: session, workingDir: workingDir))
        } catch let error as Launch.Failure {
            throw fail(error.description, code: 4)
        } catch {
            throw fail("\(error)", code: 3)
        }
        let elapsed = ContinuousClock.now - startedAt
        summarize(runtime, workingDir: workingDir)
        // "ready" only once the handlers are in place: a SIGTERM sent on seeing it must not kill us uncleanly.
        let signal = await waitForTermination {
            say("orch ready in \(elapsed.formatted(.units(allowed: [.milliseconds], width: .narrow)))")
        }
        say("orch received \(signal), shutting down")
        await runtime.shutdown()
        say("orch stopped")
    }

    private func summarize(_ runtime: OrchRuntime, workingDir: String) {
        for instance in runtime.instances {
            say("loaded \(instance.kind.rawValue) \(instance.library.name) \(instance.library.version) (ABI \(instance.library.abi)) from \(instance.library.path)")
        }
        if let orchestrator = runtime.engine?.orchestrator {
            say("orchestrator \(orchestrator.id)")
            if runtime.resumedSession, let session = orchestrator.sessionID {
                say("session \(session) resumed: \(orchestrator.inputTokens) input + \(orchestrator.outputTokens) output tokens, $\(String(format: "%.6f", orchestrator.totalCost))")
            } else {
                say("session: new")
            }
        }
        say("working directory \(workingDir)")
        say("model \(runtime.config.backend.options["model"]?.stringValue ?? "(backend default)")")
        for address in runtime.listening { say("listening on \(address)") }
    }
}

/// The host owns SIGINT and SIGTERM; plugins must never install handlers.
///
/// A real handler (not SIG_IGN plus a dispatch source, which libdispatch on
/// Linux registers asynchronously, so a signal sent right after "ready" could
/// be lost) that writes the signal's number to a pipe: once `sigaction` has
/// returned, no signal is missed. A thread of its own reads the pipe.
func waitForTermination(whenListening ready: () -> Void = {}) async -> String {
    await withCheckedContinuation { continuation in
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("orch: cannot create the signal pipe: \(String(cString: strerror(errno)))") }
        SignalPipe.writeEnd = fds[1]
        let readEnd = fds[0]
        let reader = Thread {
            var number: UInt8 = 0
            while read(readEnd, &number, 1) < 0 && errno == EINTR {}
            continuation.resume(returning: Int32(number) == SIGINT ? "SIGINT" : "SIGTERM")
        }
        reader.name = "orch-signals"
        reader.start()
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalPipe.writeEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        ready()
    }
}

/// The pipe's write end, read by the signal handler (which can capture nothing).
enum SignalPipe {
    nonisolated(unsafe) static var writeEnd: Int32 = -1
}
