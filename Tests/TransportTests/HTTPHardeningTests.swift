import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// The WebSocketTransport's HTTP side against clients that hold sockets without using
/// them (issue #18): silent, drip-feeding, half-body and idle connections are closed on
/// their deadlines with a 408 where one can still be answered; past `max_connections`
/// a new socket gets a 503; a seeded corpus of broken requests always ends in an answer
/// or a close. The transport runs in this process (`TestHost`), so its descriptors are
/// this process's.
@Suite(.serialized) struct HTTPHardeningTests {
    static func headMessage(_ seconds: Int) -> String {
        "no complete request head within head_timeout_s (\(seconds) s); the connection is closed"
    }
    static func bodyMessage(_ seconds: Int) -> String {
        "the request body did not arrive within body_timeout_s (\(seconds) s) of its head; the connection is closed"
    }

    /// A 408 `request_timeout` with this message, as the only response.
    static func isTimeout(_ responses: [RawHTTP.Response], _ message: String) -> Bool {
        responses.count == 1 && responses[0].status == 408 && responses[0].errorCode == "request_timeout"
            && responses[0].errorMessage == message && responses[0].headers["connection"] == "close"
    }

    @Test func eachTimerEndsItsConnectionWithAReason() async throws {
        try await TestHost.with(["head_timeout_s": .int(1), "body_timeout_s": .int(1), "idle_timeout_s": .int(1)]) { host in
            let socket = try await TestSocket.connect(host.webSocketURL)
            let start = ContinuousClock.now
            let partialHead = try await RawConnection.open(port: host.port)
            try await partialHead.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1:\(host.port)\r\n")
            let halfBody = try await RawConnection.open(port: host.port)
            try await halfBody.send("POST /send_chat HTTP/1.1\r\nHost: 127.0.0.1:\(host.port)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"message\":")
            let idle = try await RawConnection.open(port: host.port)
            let asked = ContinuousClock.now
            try await idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1:\(host.port)\r\n\r\n")
            #expect(await idle.receive(RawHTTP.parse)?.status == 200)

            for connection in [partialHead, halfBody, idle] { #expect(await connection.closed(within: .seconds(10))) }
            #expect(Self.isTimeout(partialHead.responses(), Self.headMessage(1)))
            #expect(Self.isTimeout(halfBody.responses(), Self.bodyMessage(1)))
            // Idle: closed without a word; there is no request to answer.
            #expect(idle.responses().isEmpty && idle.pendingBytes == 0)
            // Each clock started after the moment measured from, so none may close sooner.
            let latencies = [partialHead.closedAt.map { $0 - start }, halfBody.closedAt.map { $0 - start }, idle.closedAt.map { $0 - asked }]
            #expect(latencies.allSatisfy { $0.map { $0 >= .seconds(1) && $0 < .seconds(5) } == true }, "\(latencies)")
            print("head, body and idle timeouts (1 s each) closed after \(latencies.map { $0.map { "\($0)" } ?? "?" }.joined(separator: ", "))")

            // The WebSocket, older than all of them, is not an HTTP connection any more: still served.
            socket.send(#"{"type":"ping"}"#)
            #expect(await socket.waitFor { $0["type"] == .string("pong") } != nil)
            #expect(!socket.isClosed)
            socket.close()
            let metrics = try await RawHTTP.get(port: host.port, "/metrics").text
            for timer in ["head", "body", "idle"] {
                #expect(metrics.contains(#"orch_http_timeouts_total{timeout="\#(timer)"} 1"#), "\(timer): \(metrics)")
            }
        }
    }

    @Test func twoThousandSilentAndTwoHundredSlowClientsAreClosedWhileABrowserChats() async throws {
        DescriptorLimit.raiseSoftToHard(logger: Logger(label: "HTTPHardeningTests"))
        // Each client costs two descriptors here: its socket and the server's.
        let needed = 2 * 2200 + 256
        try #require((DescriptorLimit.soft ?? 0) >= needed, "the descriptor limit (\(DescriptorLimit.soft ?? 0)) is below \(needed) even after raising it")
        // Long enough that all 2,200 are open at once before the first is closed.
        try await TestHost.with(["head_timeout_s": .int(3), "idle_timeout_s": .int(2)]) { host in
            let browser = try await TestSocket.connect(host.webSocketURL)
            let baseline = try openDescriptors()

            let silent = try await Self.open(2000, port: host.port)
            let drippers = try await Self.open(200, port: host.port)
            for dripper in drippers {
                try await dripper.connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1:\(host.port)\r\n")
            }
            let during = try openDescriptors()
            let drip = Task {
                // A header line every 300 ms: the attack's pace, not a wait for a condition.
                var line = 0
                while !Task.isCancelled {
                    line += 1
                    for dripper in drippers where !dripper.connection.isClosed { try? await dripper.connection.send("X-Drip-\(line): x\r\n") }
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
            defer { drip.cancel() }
            // The browser loads the page, asks for its orchestrator and chats, over and over, meanwhile.
            let chatting = Task { () -> (asked: Int, answered: Int) in
                var asked = 0, answered = 0
                while !Task.isCancelled {
                    asked += 3
                    if (try? await RawHTTP.get(port: host.port, "/"))?.status == 200 { answered += 1 }
                    if (try? await RawHTTP.get(port: host.port, "/get_orchestrator"))?.status == 200 { answered += 1 }
                    let id = "chat-\(asked)"
                    browser.send(.object(["type": "chat_message", "message": .string("hello \(asked)"),
                                          "orchestrator_agent_id": .string(host.orchestratorID), "request_id": .string(id)]))
                    if await browser.waitFor({ $0["type"] == .string("ack") && $0["request_id"] == .string(id) }) != nil { answered += 1 }
                }
                return (asked, answered)
            }

            let clients = silent + drippers
            var closedAfter = [Duration?](repeating: nil, count: clients.count)
            let allClosed = await eventually(timeout: .seconds(60)) {
                for (index, client) in clients.enumerated() where closedAfter[index] == nil {
                    closedAfter[index] = client.connection.closedAt.map { $0 - client.opened }
                }
                return closedAfter.allSatisfy { $0 != nil }
            }
            #expect(allClosed, "\(closedAfter.filter { $0 == nil }.count) clients still open")
            chatting.cancel()
            let (asked, answered) = await chatting.value

            let timedOut = clients.filter { Self.isTimeout($0.connection.responses(), Self.headMessage(3)) }.count
            #expect(timedOut == clients.count, "\(clients.count - timedOut) clients closed without the 408")
            let latencies = closedAfter.compactMap { $0 }.sorted()
            #expect(latencies.first.map { $0 >= .seconds(3) } == true && latencies.last.map { $0 < .seconds(10) } == true,
                    "\(latencies.first ?? .zero)…\(latencies.last ?? .zero)")
            for client in clients { client.connection.close() }
            var descriptors = try openDescriptors()
            #expect(await eventually(timeout: .seconds(20)) { descriptors = (try? openDescriptors()) ?? -1; return descriptors <= baseline },
                    "\(descriptors) descriptors, \(baseline) before")
            #expect(asked > 0 && answered == asked, "\(answered) of \(asked) browser requests answered")
            #expect(!browser.isClosed)
            browser.send(#"{"type":"ping"}"#)
            #expect(await browser.waitFor { $0["type"] == .string("pong") } != nil)
            browser.close()
            let metrics = try await RawHTTP.get(port: host.port, "/metrics").text
            #expect(metrics.contains(#"orch_http_timeouts_total{timeout="head"} 2200"#))
            print("""
            2,000 silent and 200 drip-feeding clients closed with 408 after \(latencies.spread) \
            (head_timeout_s = 3); descriptors \(baseline) before, \(during) with them \
            connected, \(descriptors) after; the browser had \(answered) of \(asked) requests answered meanwhile
            """)
        }
    }

    @Test func pastMaxConnectionsANewSocketGets503WithAReason() async throws {
        try await TestHost.with(["max_connections": .int(100), "head_timeout_s": .int(60)]) { host in
            let clients = try await Self.open(101, port: host.port)
            #expect(await eventually { clients.contains { $0.connection.isClosed } })
            let refused = clients.filter { $0.connection.isClosed }
            #expect(refused.count == 1, "\(refused.count) refused")
            let response = refused.first?.connection.responses().first
            #expect(response?.status == 503)
            #expect(response?.headers["retry-after"] == "5")
            #expect(response?.errorCode == "too_many_connections")
            #expect(response?.errorMessage == "the server has 100 connections open (max_connections); retry in 5 s")
            for client in clients { client.connection.close() }
            // Once they are gone, everyone is served again, and the refusal was counted.
            #expect(await eventually { (try? await RawHTTP.get(port: host.port, "/health"))?.status == 200 })
            let metrics = try await RawHTTP.get(port: host.port, "/metrics").text
            #expect(metrics.contains("orch_connections_refused_total 1"), "\(metrics)")
        }
    }

    /// Ten thousand requests from a seeded generator, 200 at a time: each ends in the answer
    /// its case expects, or at least a close, within the timeouts; nothing is left hanging.
    @Test func aSeededHTTPCorpusAlwaysEndsInAnAnswerOrACloseWithinTheTimeouts() async throws {
        let timeouts = ["head_timeout_s": JSONValue.int(1), "body_timeout_s": .int(1), "idle_timeout_s": .int(1), "heartbeat_s": .int(1)]
        try await TestHost.with(timeouts) { host in
            let baseline = try openDescriptors()
            // The three timeouts one after another, and room for a loaded 2-core machine.
            let bound = Duration.seconds(3 + 5)
            let started = ContinuousClock.now
            var failures: [String] = [], labels: [String: Int] = [:], slowest = Duration.zero, count = 0
            await withTaskGroup(of: (label: String, elapsed: Duration, failure: String?).self) { group in
                func record(_ result: (label: String, elapsed: Duration, failure: String?)) {
                    count += 1
                    labels[result.label, default: 0] += 1
                    slowest = max(slowest, result.elapsed)
                    if let failure = result.failure { failures.append(failure) }
                }
                var inFlight = 0
                for item in HTTPFuzzCorpus(seed: 0x0BC4_2026_0018, count: 10_000, port: host.port, orchestratorID: host.orchestratorID) {
                    if inFlight == 200, let result = await group.next() {
                        record(result)
                        inFlight -= 1
                    }
                    group.addTask { await Self.run(item, port: host.port, bound: bound) }
                    inFlight += 1
                }
                for await result in group { record(result) }
            }
            let elapsed = ContinuousClock.now - started
            #expect(count == 10_000)
            #expect(failures.isEmpty, "\(failures.count) cases failed, e.g. \(failures.prefix(20))")
            #expect(try await RawHTTP.get(port: host.port, "/health").status == 200)
            var descriptors = try openDescriptors()
            #expect(await eventually(timeout: .seconds(20)) { descriptors = (try? openDescriptors()) ?? -1; return descriptors <= baseline },
                    "\(descriptors) descriptors, \(baseline) before")
            print("HTTP corpus: \(count) cases in \(elapsed), slowest \(slowest); \(labels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        }
    }

    // MARK: Support

    struct Client {
        var connection: RawConnection
        var opened: ContinuousClock.Instant
    }

    /// `count` connections that send nothing, opened 100 at a time.
    static func open(_ count: Int, port: Int) async throws -> [Client] {
        var clients: [Client] = []
        for batch in stride(from: 0, to: count, by: 100) {
            clients += try await withThrowingTaskGroup(of: Client.self) { group in
                for _ in batch..<min(batch + 100, count) {
                    group.addTask {
                        let opened = ContinuousClock.now
                        return Client(connection: try await RawConnection.open(port: port), opened: opened)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        return clients
    }

    /// One corpus case on its own connection: what came back, checked against what was expected.
    static func run(_ item: HTTPFuzzCorpus.Case, port: Int, bound: Duration) async -> (label: String, elapsed: Duration, failure: String?) {
        let started = ContinuousClock.now
        guard let connection = try? await RawConnection.open(port: port) else { return (item.label, .zero, "\(item.label): could not connect") }
        defer { connection.close() }
        // The server may close before everything is sent (an oversize head): that is its answer.
        try? await connection.send(item.bytes)
        let closed = await connection.closed(within: bound)
        let elapsed = ContinuousClock.now - started
        guard closed else { return (item.label, elapsed, "\(item.label): still open after \(bound)") }
        let responses = connection.responses()
        let statuses = responses.map(\.status)
        let failure: String?
        switch item.expected {
        case .statuses(let expected):
            failure = statuses == expected ? nil : "expected \(expected), got \(statuses) and \(connection.pendingBytes) more bytes"
        case .timeout(let option):
            let first = responses.first
            failure = responses.count == 1 && first?.status == 408 && first?.errorCode == "request_timeout"
                && first?.errorMessage?.contains(option) == true ? nil : "expected a 408 naming \(option), got \(statuses) \(first?.text.prefix(200) ?? "")"
        case .refused(let status):
            failure = statuses.isEmpty || statuses == [status] ? nil : "expected \(status) or a close, got \(statuses)"
        case .anything:
            failure = nil
        }
        return (item.label, elapsed, failure.map { "\(item.label): \($0) (\(String(decoding: item.bytes.prefix(120), as: UTF8.self).debugDescription))" })
    }
}
