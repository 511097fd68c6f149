import Dispatch
import Foundation
import PluginAPI

/// Runs a `ChatClient` against the real world: the socket (read on its own
/// thread), stdin (likewise), Ctrl+C, reconnecting, stdout and stderr.
final class ChatRunner: @unchecked Sendable {
    private let path: String
    private let stream: AsyncStream<ChatInput>
    private let inputs: AsyncStream<ChatInput>.Continuation
    private let lock = NSLock()
    private var connection: ChatConnection?
    private var generation = 0

    init(path: String) {
        self.path = path
        (stream, inputs) = AsyncStream<ChatInput>.makeStream()
    }

    /// Makes `connection` the current one and reads it until it ends.
    func attach(_ connection: ChatConnection) {
        let current: Int = lock.withLock {
            self.connection?.close()
            self.connection = connection
            generation += 1
            return generation
        }
        inputs.yield(.connected)
        let thread = Thread { [inputs] in
            while let line = connection.readLine() {
                if let value = try? JSON.decode(JSONValue.self, from: line) { inputs.yield(.line(value)) }
            }
            if self.lock.withLock({ self.generation == current }) { inputs.yield(.disconnected) }
        }
        thread.start()
    }

    /// Reads stdin line by line on its own thread.
    func readStandardInput() {
        let thread = Thread { [inputs] in
            while let line = Swift.readLine(strippingNewline: true) { inputs.yield(.typed(line)) }
            inputs.yield(.endOfInput)
        }
        thread.start()
    }

    /// Ctrl+C becomes an input instead of ending the process.
    func watchInterrupts() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "orch.chat.signals"))
        source.setEventHandler { [inputs, source] in  // the source lives as long as the process
            // Signals that arrive before the handler runs are coalesced: `data` counts them.
            let now = ContinuousClock.now
            for _ in 0..<max(1, Int(source.data)) { inputs.yield(.interruptKey(now)) }
        }
        source.resume()
        lock.withLock { signalSource = source }
    }
    private var signalSource: DispatchSourceSignal?

    /// Feeds inputs to the client and carries out its effects until it exits.
    func run(_ client: inout ChatClient) async -> Int32 {
        for await input in stream {
            for effect in client.handle(input) {
                switch effect {
                case .send(let message):
                    // A failed send shows up as a disconnect on the reading side.
                    try? lock.withLock { connection }?.send(message)
                case .write(let text):
                    FileHandle.standardOutput.write(Data(text.utf8))
                case .warn(let text):
                    FileHandle.standardError.write(Data((text + "\n").utf8))
                case .reconnect:
                    reconnect()
                case .exit(let code):
                    lock.withLock { connection }?.close()
                    return code
                }
            }
        }
        return 0
    }

    /// Tries again and again, backing off from 250 ms to 2 s, until the host is back.
    private func reconnect() {
        Task { [path] in
            var delay = Duration.milliseconds(250)
            while true {
                try? await Task.sleep(for: delay)
                if let connection = try? ChatConnection.connect(path: path) {
                    attach(connection)
                    return
                }
                delay = min(delay * 3 / 2, .seconds(2))
            }
        }
    }
}
