import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The UnixSocketTransport against clients that hold its sockets without using
/// them (issue #18) or ask without reading (issue #19): they are closed on
/// their deadlines and told why, the host's descriptors and memory come back,
/// and a normal client (and `orch chat`) is never cut off. The transport runs
/// inside the real `orch serve`, so its descriptors and RSS are read from
/// `/proc/<orch pid>`.
@Suite(.serialized) struct UnixSocketHardeningTests {
    static func handshakeMessage(_ seconds: Int) -> String {
        "no complete line within \(seconds) s of connecting (handshake_timeout_s); send a request, e.g. {\"type\":\"ping\"}, right after connecting"
    }
    static func lineMessage(_ seconds: Int) -> String {
        "a line was begun but not finished within \(seconds) s (line_timeout_s); write each line whole, ending in \\n"
    }
    static func stallMessage(_ seconds: Int) -> String {
        "read nothing of what was queued for you for \(seconds) s (stall_timeout_s); reconnect and resume from your last seq"
    }

    @Test func silentAndDripFeedingClientsAreClosedOnTimeWhileANormalClientChats() async throws {
        let host = try await UnixHost.start(unixOptions: "handshake_timeout_s = 1\nline_timeout_s = 2")
        let pid = host.orch.process.processIdentifier
        let normal = try host.connect()
        #expect(try await normal.ask(["type": "ping"], reply: "pong") != nil)
        let baseline = try openDescriptors(pid)

        let connecting = ContinuousClock.now
        let silent = try (0..<200).map { _ in try host.connect() }
        // Drip-feeders have said hello (so the handshake rule is behind them), then begin a line they never end.
        let drippers = try (0..<20).map { _ in try host.connect() }
        var began: [ContinuousClock.Instant] = []
        for dripper in drippers {
            #expect(try await dripper.ask(["type": "ping"], reply: "pong") != nil)
            began.append(ContinuousClock.now)
            try dripper.sendRaw("{\"type\":\"pi")
        }
        let during = try openDescriptors(pid)
        let drip = Task {
            // One more byte every 200 ms: the pace of the attack, not a wait for a condition.
            while !Task.isCancelled {
                for dripper in drippers where !dripper.isClosed { try? dripper.sendRaw("n") }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { drip.cancel() }
        // The normal client keeps asking while the others are closed around it.
        let chatting = Task { () -> (asked: Int, answered: Int) in
            var asked = 0, answered = 0
            while !Task.isCancelled {
                asked += 2
                if (try? await normal.ask(["type": "ping", "request_id": .int(Int64(asked))], reply: "pong")) != nil { answered += 1 }
                if let reply = try? await normal.ask(["type": "get_orchestrator"]), reply["orchestrator"] != nil { answered += 1 }
            }
            return (asked, answered)
        }

        let clients = silent + drippers
        var closedAfter = [Duration?](repeating: nil, count: clients.count)
        let allClosed = await eventually(timeout: .seconds(30)) {
            for (index, client) in clients.enumerated() where closedAfter[index] == nil && client.isClosed {
                closedAfter[index] = ContinuousClock.now - (index < silent.count ? connecting : began[index - silent.count])
            }
            return closedAfter.allSatisfy { $0 != nil }
        }
        #expect(allClosed, "\(closedAfter.filter { $0 == nil }.count) clients still open")
        chatting.cancel()
        let (asked, answered) = await chatting.value

        for client in silent {
            let errors = client.of(type: "error")
            #expect(errors.count == 1 && errors.first?["code"] == "handshake_timeout", "\(client.lines)")
            #expect(errors.first?["message"]?.stringValue == Self.handshakeMessage(1))
        }
        for client in drippers {
            let errors = client.of(type: "error")
            #expect(errors.count == 1 && errors.first?["code"] == "line_timeout", "\(client.lines)")
            #expect(errors.first?["message"]?.stringValue == Self.lineMessage(2))
        }
        // Measured from before each client connected (or began its line), so not less than the timeout, less the
        // millisecond the transport's poll deadlines round to.
        let silentLatency = closedAfter[..<silent.count].compactMap { $0 }, dripLatency = closedAfter[silent.count...].compactMap { $0 }
        let rounding = Duration.milliseconds(1)
        #expect(silentLatency.allSatisfy { $0 >= .seconds(1) - rounding && $0 < .seconds(6) }, "\(silentLatency)")
        #expect(dripLatency.allSatisfy { $0 >= .seconds(2) - rounding && $0 < .seconds(7) }, "\(dripLatency)")

        var descriptors = try openDescriptors(pid)
        #expect(await eventually(timeout: .seconds(10)) { descriptors = (try? openDescriptors(pid)) ?? -1; return descriptors <= baseline },
                "\(descriptors) descriptors, \(baseline) before")
        #expect(!normal.isClosed, "the client that had spoken was left alone")
        #expect(answered == asked, "\(answered) of \(asked) requests answered")
        #expect(try await normal.ask(["type": "ping"], reply: "pong") != nil)
        print("""
        200 silent clients closed after \(silentLatency.spread) (handshake_timeout_s = 1); \
        20 drip-feeders after \(dripLatency.spread) (line_timeout_s = 2); \
        descriptors \(baseline) before, \(during) with them connected, \(descriptors) after; the normal client had \(answered) of \(asked) requests answered meanwhile
        """)
        #expect(await host.stop() == 0)
    }

    /// `orch chat` says something the moment it connects and then may sit idle
    /// for hours: the shortest timeouts never cut it off.
    @Test func anIdleOrchChatIsNeverCutOff() async throws {
        let host = try await UnixHost.start(unixOptions: "handshake_timeout_s = 1\nline_timeout_s = 1\nstall_timeout_s = 1")
        let earlier = try host.connect()
        let ack = try await earlier.ask(["type": "chat_message", "orchestrator_agent_id": .string(host.orchestratorID), "message": "earlier"])
        #expect(await earlier.waitFor { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"] == ack?["turn_id"] } })
        let chat = try OrchProcess(["chat", "--socket", host.socket])
        #expect(await chat.waitForOutput("── history: 2 messages ──"), "\(chat.stdout) \(chat.stderr)")
        // Three silent clients in a row are closed one after the other: more than 3 s pass for the idle chat.
        for _ in 0..<3 {
            let silent = try host.connect()
            #expect(await silent.waitFor(timeout: .seconds(10)) { $0.contains { $0["code"] == "handshake_timeout" } })
            #expect(await eventually(timeout: .seconds(10)) { silent.isClosed })
        }
        chat.write("still here\n")
        #expect(await chat.waitForOutput("You said: still here\n"), "\(chat.stdout) \(chat.stderr)")
        #expect(!chat.stdout.contains("connection lost"), "\(chat.stdout)")
        chat.closeInput()
        #expect(await chat.exitStatus() == 0)
        #expect(await host.stop() == 0)
    }

    /// A client that floods requests and never reads (issue #19: load_chat in a
    /// loop took a host from 263 MiB to 6.4 GiB): reading it stops at the
    /// high-water mark, so the host's memory stays bounded; once nothing of its
    /// output moves for stall_timeout_s it is told why, closed, and its memory
    /// given back.
    @Test func aClientThatAsksAndNeverReadsIsBoundedToldWhyAndFreed() async throws {
        let host = try await UnixHost.start(unixOptions: "stall_timeout_s = 6")
        let pid = host.orch.process.processIdentifier
        let watcher = try host.connect()
        // A history worth asking for: each load_chat answer is about 100 KB.
        let id: JSONValue = .string(host.orchestratorID)
        for turn in 0..<12 {
            let ack = try await watcher.ask(["type": "chat_message", "orchestrator_agent_id": id,
                                             "message": .string("\(turn) " + String(repeating: "long history ", count: 300))])
            #expect(await watcher.waitFor { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"] == ack?["turn_id"] } })
        }
        let history = try await watcher.ask(["type": "load_chat", "orchestrator_agent_id": id, "limit": 50], reply: "chat_history")
        #expect(elements(history?["messages"]).count == 24)
        for _ in 0..<50 { #expect(try await watcher.ask(["type": "get_orchestrator"]) != nil) }
        let baseline = try residentKiB(pid)

        let flooder = try host.connect(reading: false)
        let written = Tally()
        let loadChat = "{\"type\":\"load_chat\",\"orchestrator_agent_id\":\"\(host.orchestratorID)\",\"limit\":50}\n"
        let batch = Data(String(repeating: loadChat + "{\"type\":\"get_orchestrator\"}\n{\"type\":\"ping\"}\n{\"type\":\"nope\"}\n", count: 200).utf8)
        Thread {
            while (try? flooder.sendRaw(batch)) != nil { written.add(batch.count) }
            written.finish()
        }.start()

        // Sample RSS for 12 s while the flood runs: the sampling pace, not a wait for a condition.
        let until = ContinuousClock.now + .seconds(12)
        var peak = baseline, writtenAt8s = 0
        var pongs = 0
        while ContinuousClock.now < until {
            peak = max(peak, try residentKiB(pid))
            if (try? await watcher.ask(["type": "ping"], reply: "pong")) != nil { pongs += 1 }
            if ContinuousClock.now > until - .seconds(4) && writtenAt8s == 0 { writtenAt8s = written.total }
            try await Task.sleep(for: .milliseconds(100))
        }
        let writtenAt12s = written.total
        #expect(writtenAt12s == writtenAt8s && !written.done, "the host stopped reading the flood: \(writtenAt8s) then \(writtenAt12s) bytes")
        #expect(host.orch.stderr.contains("closing it (stall_timeout): \(Self.stallMessage(6))"), "\(host.orch.stderr.suffix(2000))")

        flooder.startReading()
        #expect(await eventually(timeout: .seconds(30)) { flooder.isClosed })
        let last = flooder.lines.last
        #expect(last?["type"] == "error" && last?["code"] == "stall_timeout", "\(String(describing: last))")
        #expect(last?["message"]?.stringValue == Self.stallMessage(6))
        let clientID = flooder.lines.first?["client_id"]?.stringValue ?? "?"
        #expect(host.orch.stderr.contains("\(clientID) took none of its output in time; closing it (stall_timeout)"), "\(host.orch.stderr.suffix(2000))")
        #expect(await eventually(timeout: .seconds(10)) { written.done })

        var after = try residentKiB(pid)
        #expect(await eventually(timeout: .seconds(15)) { after = (try? residentKiB(pid)) ?? .max; return after < baseline + 5 * 1024 },
                "RSS \(after) KiB after, \(baseline) KiB before")
        #expect(peak - baseline < 20 * 1024, "RSS grew from \(baseline) to \(peak) KiB")
        #expect(pongs > 20, "the host kept answering others meanwhile: \(pongs)")
        print("flood without reading: RSS \(baseline / 1024) MiB → peak \(peak / 1024) MiB → \(after / 1024) MiB after it left; host read \(writtenAt12s / 1024) KiB of requests before it stopped reading; \(pongs) pongs to another client meanwhile")
        #expect(await host.stop() == 0)
    }

    /// Replies count against client_queue_bytes like events: many small bad
    /// lines whose errors are never read get the client dropped with too_slow.
    @Test func errorRepliesCountAgainstTheQueueBound() async throws {
        let host = try await UnixHost.start(unixOptions: "client_queue_bytes = 65536")
        let flooder = try host.connect(reading: false)
        let garbage = Data(String(repeating: "x\n", count: 512 * 1024).utf8)
        Thread { _ = try? flooder.sendRaw(garbage) }.start()
        let expected = "too slow: over 8192 lines or 65536 bytes queued; reconnect and resume from your last seq"
        #expect(await eventually(timeout: .seconds(20)) { host.orch.stderr.contains("closing it (too_slow): \(expected)") },
                "\(host.orch.stderr.suffix(2000))")
        flooder.startReading()
        #expect(await eventually(timeout: .seconds(20)) { flooder.isClosed })
        let errors = flooder.of(type: "error")
        #expect(errors.last?["code"] == "too_slow" && errors.last?["message"]?.stringValue == expected, "\(String(describing: errors.last))")
        #expect(errors.dropLast().allSatisfy { $0["code"] == "invalid_json" })
        let clientID = flooder.lines.first?["client_id"]?.stringValue ?? "?"
        #expect(host.orch.stderr.contains("\(clientID) fell too far behind; closing it (too_slow): \(expected)"))
        #expect(await host.stop() == 0)
    }

    /// A resume whose replay would not fit in the client's bound is answered
    /// reload_required (saying why) instead of dropping the client, which would
    /// only resume into the same wall again; the connection carries on.
    @Test func aResumeTooBigForTheBoundAsksForAReload() async throws {
        let host = try await UnixHost.start(unixOptions: "client_queue_limit = 64")
        let id: JSONValue = .string(host.orchestratorID)
        let writer = try host.connect()
        for turn in 0..<8 {
            let ack = try await writer.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": .string("turn \(turn) of eight")])
            #expect(await writer.waitFor { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"] == ack?["turn_id"] } })
        }
        let newest = writer.events.last?["seq"]?.intValue ?? 0
        #expect(newest > 64, "\(newest) events")
        let back = try host.connect()
        let reload = try #require(try await back.ask(["type": "resume", "orchestrator_agent_id": id, "last_seq": 0, "request_id": "r"], reply: "reload_required"))
        #expect(reload["last_seq"] == .int(newest))
        #expect(reload["request_id"] == "r")
        #expect(reload["message"] == "the events you missed are more than a connection may have queued (client_queue_limit 64 lines, client_queue_bytes 16777216); reload history with load_chat, then continue from last_seq")
        #expect(back.events.isEmpty && back.of(type: "error").isEmpty, "nothing replayed, not dropped")
        // Live events after last_seq still come, once each.
        let ack = try await writer.ask(["type": "chat_message", "orchestrator_agent_id": id, "message": "after the reload"])
        #expect(await back.waitFor { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"] == ack?["turn_id"] } })
        let seqs = back.events.compactMap { $0["seq"]?.intValue }
        #expect(!seqs.isEmpty && seqs == Array((newest + 1)..<(newest + 1 + Int64(seqs.count))), "\(seqs)")
        #expect(!back.isClosed)
        #expect(await host.stop() == 0)
    }

    @Test func badTimeoutOptionsStopStartupNamingTheOptionAndRange() async throws {
        for (option, value) in [("handshake_timeout_s", "0"), ("line_timeout_s", "86401"), ("stall_timeout_s", "\"soon\"")] {
            let config = try UnixSocketTransportTests.config(socket: try UnixTransport.socketPath(), options: "\(option) = \(value)")
            let result = try await OrchProcess.run(["serve", "--config", config])
            #expect(result.status == 3)
            #expect(result.stderr.contains("UnixSocketTransport: option \(option) must be an integer from 1 to 86400, got \(value)"), "\(result.stderr)")
        }
    }
}

/// Bytes a writer thread got through, read from the test's task.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = 0
    private var finished = false
    func add(_ count: Int) { lock.withLock { bytes += count } }
    func finish() { lock.withLock { finished = true } }
    var total: Int { lock.withLock { bytes } }
    var done: Bool { lock.withLock { finished } }
}
