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
func waitForTermination(whenListening ready: () -> Void = {}) async -> String {
    await withCheckedContinuation { continuation in
        let queue = DispatchQueue(label: "orch.signals")
        let once = OnceFlag()
        var sources: [DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                guard once.claim() else { return }
                sources.forEach { $0.cancel() }
                continuation.resume(returning: name)
            }
            source.resume()
            sources.append(source)
        }
        ready()
    }
}

final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool { lock.withLock { defer { claimed = true }; return !claimed } }
}
