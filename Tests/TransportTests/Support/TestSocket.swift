import Foundation
import OrchTesting
import PluginAPI
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket

/// A real WebSocket client (HummingbirdWSClient) that records every text message.
final class TestSocket: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [JSONValue] = []
    private var arrivals: [ContinuousClock.Instant] = []
    private var closeFrame: (code: Int, reason: String)?
    private var ended = false
    private var failure: String?
    private let outbox: AsyncStream<String?>.Continuation

    private init(outbox: AsyncStream<String?>.Continuation) { self.outbox = outbox }

    /// Connects and waits for `connection_established`.
    static func connect(_ url: String, headers: HTTPFields = [:]) async throws -> TestSocket {
        let (stream, continuation) = AsyncStream.makeStream(of: String?.self)
        let socket = TestSocket(outbox: continuation)
        Task {
            let frame: WebSocketCloseFrame?
            do { frame = try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 22, additionalHeaders: headers), logger: Logger(label: "test-socket")
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            if case .text(let text) = message { socket.record(text) }
                        }
                    }
                    group.addTask {
                        for await text in stream {
                            guard let text else { try await outbound.close(.normalClosure, reason: "bye"); return }
                            try await outbound.write(.text(text))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } } catch {
                socket.lock.withLock { socket.failure = "\(error)" }
                frame = nil
            }
            socket.finish(frame.map { (Int(UInt16(webSocketErrorCode: $0.closeCode)), $0.reason ?? "") })
        }
        guard await socket.waitFor(count: 1), socket.messages.first?["type"]?.stringValue == "connection_established" else {
            socket.close()
            throw RawHTTP.Failure(message: "no connection_established from \(url): \(socket.lock.withLock { socket.failure ?? "" }) \(socket.messages)")
        }
        return socket
    }

    private func record(_ text: String) {
        let value = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
        let now = ContinuousClock.now
        lock.withLock {
            received.append(value)
            arrivals.append(now)
        }
    }

    private func finish(_ frame: (Int, String)?) { lock.withLock { closeFrame = frame; ended = true } }

    var messages: [JSONValue] { lock.withLock { received } }
    /// When each message arrived, parallel to `messages`.
    var arrivalTimes: [ContinuousClock.Instant] { lock.withLock { arrivals } }
    var isClosed: Bool { lock.withLock { ended } }
    var closedWith: (code: Int, reason: String)? { lock.withLock { closeFrame } }

    /// The host events received (those with a seq), in arrival order.
    var events: [JSONValue] { messages.filter { $0["seq"] != nil } }

    func send(_ text: String) { outbox.yield(text) }
    func send(_ value: JSONValue) { send(String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)) }
    func close() { outbox.yield(nil) }

    func waitFor(count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) { messages.count >= count || isClosed } && messages.count >= count
    }

    /// Waits for a message matching `match`, returning the first one.
    func waitFor(timeout: Duration = .seconds(10), _ match: @escaping (JSONValue) -> Bool) async -> JSONValue? {
        _ = await eventually(timeout: timeout) { messages.contains(where: match) || isClosed }
        return messages.first(where: match)
    }

    func waitUntilClosed(timeout: Duration = .seconds(10)) async -> Bool {
        await eventually(timeout: timeout) { isClosed }
    }
}
