import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with the orchestrator in a terminal, over the UnixSocketTransport's socket.",
        discussion: """
            Prints the recent history, then streams every reply as it is written, with tool use, thinking, \
            tokens and cost. Ctrl+C interrupts the running turn; twice quits. If orch restarts, the chat \
            reconnects and catches up. With --once it sends one message (the argument, or stdin) and prints \
            only the reply: echo "What is 2+2?" | orch chat --once
            """)

    @Option(name: .long, help: "The socket to connect to (default: the UnixSocketTransport's path in the config, else .orch/orch.sock).")
    var socket: String?

    @Flag(name: .long, help: "Send one message, print only its reply, and exit.")
    var once = false

    @Option(name: .long, help: "How many messages of history to show when starting (0-1000).")
    var history = 20

    @Option(name: .long, help: "The config file, read for the socket's path.")
    var config: String?

    @Argument(help: "With --once: the message to send (default: all of stdin).")
    var message: String?

    func validate() throws {
        guard (0...1000).contains(history) else { throw ValidationError("--history must be from 0 to 1000, got \(history)") }
        if message != nil && !once { throw ValidationError("a message argument needs --once; without --once, type messages after starting") }
    }

    func run() async throws {
        let path: String
        do { path = try ChatSocketPath.resolve(socket: socket, config: config ?? "config/orch.toml", configExplicit: config != nil) } catch {
            throw fail(error.description, code: 2)
        }
        let mode: ChatClient.Mode
        if once {
            let text = message ?? Self.readAllStandardInput()
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail("nothing to send: the message is empty; give it as an argument or on stdin, e.g. echo \"What is 2+2?\" | orch chat --once", code: 2)
            }
            mode = .once(message: text)
        } else {
            mode = .interactive(historyLimit: history, hints: isatty(STDIN_FILENO) == 1)
        }
        let connection: ChatConnection
        do { connection = try ChatConnection.connect(path: path) } catch { throw fail(error.description, code: 1) }
        let colors = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var client = ChatClient(mode: mode, style: colors ? .ansi : .plain)
        let runner = ChatRunner(path: path)
        runner.watchInterrupts()
        runner.attach(connection)
        if !once { runner.readStandardInput() }
        let status = await runner.run(&client)
        if status != 0 { throw ExitCode(status) }
    }

    /// The whole of stdin, without the final line break a shell adds.
    static func readAllStandardInput() -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" { text.unicodeScalars.removeLast() }
        return text
    }
}
