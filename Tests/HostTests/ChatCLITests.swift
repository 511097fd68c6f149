import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The real `orch chat` against a real `orch serve`, as a user runs them.
@Suite struct ChatCLITests {
    /// Runs a shell pipeline; stdout and stderr apart.
    static func shell(_ command: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test func onceInAPipePrintsOnlyTheReply() async throws {
        let host = try await UnixHost.start()
        let result = try Self.shell("echo 'What is 2+2?' | '\(Paths.orch)' chat --once --socket '\(host.socket)'")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "You said: What is 2+2?\n")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        // What was printed is what was saved.
        let client = try host.connect()
        let history = try await client.ask(["type": "load_chat", "orchestrator_agent_id": .string(host.orchestratorID)], reply: "chat_history")
        let last = elements(history?["messages"]).last
        #expect(last?["message"]?.stringValue.map { $0 + "\n" } == result.stdout)
        // The message may also be an argument, and the socket may come from the config.
        let argument = try await OrchProcess.run(["chat", "--once", "--config", host.config, "as an argument"])
        #expect(argument.status == 0)
        #expect(argument.stdout == "You said: as an argument\n")
        #expect(await host.stop() == 0)
    }

    @Test func mistakesAreNamedWithWhatToDo() async throws {
        let missing = try Paths.temporaryDirectory().appendingPathComponent("none.sock").path
        let unreachable = try Self.shell("echo hi | '\(Paths.orch)' chat --once --socket '\(missing)'")
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr == "orch: cannot connect to \(missing): No such file or directory; is `orch serve` running with the UnixSocketTransport? (choose the socket with --socket)\n")
        let empty = try Self.shell("printf '\\n\\n' | '\(Paths.orch)' chat --once --socket '\(missing)'")
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("orch: nothing to send: the message is empty; give it as an argument or on stdin"))
        let stray = try Self.shell("'\(Paths.orch)' chat 'no once' --socket '\(missing)'")
        #expect(stray.status == 64)
        #expect(stray.stderr.contains("a message argument needs --once"))
        let history = try Self.shell("'\(Paths.orch)' chat --history 5000 --socket '\(missing)'")
        #expect(history.status == 64)
        #expect(history.stderr.contains("--history must be from 0 to 1000, got 5000"))
        let host = try await UnixHost.start()
        let tooLarge = try Self.shell("head -c 100001 /dev/zero | tr '\\0' 'x' | '\(Paths.orch)' chat --once --socket '\(host.socket)'")
        #expect(tooLarge.status == 1)
        #expect(tooLarge.stderr == "orch: message is 100001 bytes; the limit is 100000 bytes ([host] max_message_bytes) [message_too_large]\n", "\(tooLarge.stderr)")
        #expect(await host.stop() == 0)
    }

    @Test func anInteractiveChatShowsHistoryStreamsAndUsage() async throws {
        let host = try await UnixHost.start()
        _ = try Self.shell("echo 'earlier' | '\(Paths.orch)' chat --once --socket '\(host.socket)'")
        let chat = try OrchProcess(["chat", "--socket", host.socket])
        #expect(await chat.waitForOutput("── history: 2 messages ──\n› earlier\nYou said: earlier\n──\n"), "\(chat.stdout) \(chat.stderr)")
        chat.write("hello there\n")
        #expect(await chat.waitForOutput("You said: hello there\n· 3 in / 4 out tokens · $0.0001 this turn · $0.0002 total\n"), "\(chat.stdout)")
        // A turn started elsewhere shows up too, with its message.
        _ = try Self.shell("echo 'from a script' | '\(Paths.orch)' chat --once --socket '\(host.socket)'")
        #expect(await chat.waitForOutput("› from a script\nYou said: from a script\n"), "\(chat.stdout)")
        chat.closeInput()
        #expect(await chat.exitStatus() == 0)
        #expect(chat.stderr.isEmpty, "\(chat.stderr)")
        #expect(await host.stop() == 0)
    }

    @Test func ctrlCInterruptsTheTurnAndTwiceQuits() async throws {
        let host = try await UnixHost.start()
        let chat = try OrchProcess(["chat", "--socket", host.socket])
        chat.write("wait for me\n")
        #expect(await chat.waitForOutput("partial "), "\(chat.stdout) \(chat.stderr)")
        chat.terminate(signal: SIGINT)
        #expect(await chat.waitForOutput("(interrupting; Ctrl+C again to quit)"))
        #expect(await chat.waitForOutput("(turn interrupted)"), "\(chat.stdout)")
        #expect(chat.process.isRunning, "one Ctrl+C only interrupts")
        // Twice within 2 s quits (whether or not the window since the first press has passed).
        chat.terminate(signal: SIGINT)
        chat.terminate(signal: SIGINT)
        #expect(await chat.exitStatus() == 130)
        #expect(await host.stop() == 0)
    }

    @Test func theChatReconnectsAndCatchesUpWhenTheHostRestarts() async throws {
        let directory = try Paths.temporaryDirectory()
        let host = try await UnixHost.start(in: directory)
        let chat = try OrchProcess(["chat", "--socket", host.socket])
        chat.write("first\n")
        #expect(await chat.waitForOutput("You said: first\n"), "\(chat.stdout)")
        #expect(await host.stop() == 0)
        #expect(await chat.waitForOutput("(connection lost; reconnecting…)"), "\(chat.stdout)")
        let again = try await UnixHost.start(in: directory)
        #expect(await chat.waitForOutput("(reconnected to a restarted orch; catching up from the history)"), "\(chat.stdout)")
        chat.write("second\n")
        #expect(await chat.waitForOutput("You said: second\n"), "\(chat.stdout)")
        chat.closeInput()
        #expect(await chat.exitStatus() == 0)
        #expect(await again.stop() == 0)
    }
}
