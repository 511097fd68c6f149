import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The C UnixSocketTransport inside the real `orch serve`, driven over real
/// Unix sockets: the C test plugin answers "You said: <message>" word by word.
@Suite struct UnixSocketTransportTests {
    @Test func aChatStreamsChunksThatEqualThePersistedReply() async throws {
        let host = try await UnixHost.start()
        let client = try host.connect()
        let hello = try #require(await client.next("connection_established"))
        #expect(hello["last_seq"] == 0)
        #expect(hello["max_line_bytes"] == 262144)
        #expect(hello["client_id"]?.stringValue?.hasPrefix("client_") == true)
        let id = try await client.orchestratorID()
        #expect(id == host.orchestratorID)

        let ack = try #require(try await client.ask(["type": "chat_message", "orchestrator_agent_id": .string(id),
                                                     "message": "hello over unix", "request_id": "r1"]))
        #expect(ack["in_reply_to"] == "chat_message")
        #expect(ack["request_id"] == "r1")
        #expect(ack["status"] == "accepted")
        #expect(ack["queued"] == false)
        let turn = try #require(ack["turn_id"]?.stringValue)
        #expect(await client.waitFor { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"]?.stringValue == turn } })

        let stream = client.of(type: "chat_stream")
        let chunks = stream.filter { $0["is_complete"] == false && $0["block_complete"] == nil }.compactMap { $0["chunk"]?.stringValue }
        #expect(chunks == ["You", " said", ": ", "hello over unix"])
        let history = try #require(try await client.ask(["type": "load_chat", "orchestrator_agent_id": .string(id)], reply: "chat_history"))
        let messages = elements(history["messages"])
        #expect(messages.map { $0["message"] } == ["hello over unix", "You said: hello over unix"])
        #expect(messages.last?["message"]?.stringValue == chunks.joined())
        #expect(messages.last?["id"] == stream.first?["message_id"])
        #expect(client.events.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(client.events.count)))

        #expect(await host.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: host.socket), "the socket file is removed on stop")
    }

    @Test func theSocketIsForTheUserAloneAndItsNewDirectoryIsPrivate() async throws {
        let directory = try Paths.temporaryDirectory()
        let socket = directory.appendingPathComponent("run/orch/orch.sock").path
        let host = try await UnixHost.start(in: directory, socket: socket)
        var status = stat()
        #expect(lstat(socket, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o600)
        for parent in ["run", "run/orch"] {
            #expect(stat(directory.appendingPathComponent(parent).path, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o700, "\(parent) is created 0700")
        }
        #expect(host.orch.stdout.contains("listening on unix:\(socket)"))
        #expect(await host.stop() == 0)
    }

    @Test func aLiveSocketIsRefusedAndAStaleOneReplaced() async throws {
        let directory = try Paths.temporaryDirectory()
        let socket = directory.appendingPathComponent("shared.sock").path
        let first = try await UnixHost.start(socket: socket)
        let second = try await OrchProcess.run(["serve", "--config", try Self.config(socket: socket)])
        #expect(second.status == 3)
        #expect(second.stderr.contains("orch: listen_failed: UnixSocketTransport: another process is already listening on \(socket); stop it (is another orch serve running?) or choose another path in [transports.options]"),
                "\(second.stderr)")
        // The refused host left the live socket alone.
        let client = try first.connect()
        #expect(try await client.ask(["type": "ping"], reply: "pong") != nil)

        first.orch.terminate(signal: SIGKILL)
        _ = await first.orch.exitStatus()
        #expect(FileManager.default.fileExists(atPath: socket), "a crashed host leaves its socket file behind")
        let third = try await UnixHost.start(socket: socket)
        #expect(third.orch.stderr.contains("replaced a stale socket file at \(socket)"), "\(third.orch.stderr)")
        #expect(try await third.connect().ask(["type": "ping"], reply: "pong") != nil)
        #expect(await third.stop() == 0)

        let regular = directory.appendingPathComponent("not-a-socket").path
        FileManager.default.createFile(atPath: regular, contents: Data("keep me".utf8))
        let refused = try await OrchProcess.run(["serve", "--config", try Self.config(socket: regular)])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("UnixSocketTransport: \(regular) exists and is not a socket; remove it or choose another path"), "\(refused.stderr)")
        #expect(FileManager.default.contents(atPath: regular) == Data("keep me".utf8))
    }

    @Test func badOptionsStopStartupNamingTheOption() async throws {
        let unknown = try await OrchProcess.run(["serve", "--config", try Self.config(socket: try UnixTransport.socketPath(), options: "listen = \"127.0.0.1:1\"")])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("UnixSocketTransport: unknown option \"listen\"; the options are path, max_line_bytes, client_queue_limit, client_queue_bytes, max_clients"), "\(unknown.stderr)")
        let long = "/tmp/" + String(repeating: "d", count: 120) + "/orch.sock"
        let tooLong = try await OrchProcess.run(["serve", "--config", try Self.config(socket: long)])
        #expect(tooLong.status == 3)
        #expect(tooLong.stderr.contains("option path is too long for a Unix socket (at most 107 bytes)"), "\(tooLong.stderr)")
    }

    @Test func fiftyClientsAtOnceEachGetTheirRepliesAndAllTheSameEvents() async throws {
        let host = try await UnixHost.start()
        let clients = try (0..<50).map { _ in try host.connect() }
        for client in clients { #expect(await client.next("connection_established") != nil) }
        let id = host.orchestratorID
        let started = ContinuousClock.now
        for (index, client) in clients.enumerated() {
            try client.send(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": .string("message \(index)"),
                             "request_id": .int(Int64(index))])
        }
        for client in clients {
            #expect(await client.waitFor(timeout: .seconds(60)) { $0.filter { $0["type"] == "turn_complete" }.count == 50 })
        }
        let elapsed = ContinuousClock.now - started
        let reference = clients[0].events
        #expect(reference.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(reference.count)))
        for (index, client) in clients.enumerated() {
            #expect(client.events == reference, "client \(index) saw the same events in the same order")
            let acks = client.of(type: "ack")
            #expect(acks.count == 1 && acks.first?["request_id"] == .int(Int64(index)), "each reply goes to its own client")
        }
        let replies = reference.filter { $0["type"] == "orchestrator_chat" && $0["message"]?["sender_type"] == "orchestrator" }
        #expect(Set(replies.compactMap { $0["message"]?["message"]?.stringValue }) == Set((0..<50).map { "You said: message \($0)" }))
        print("50 clients, 50 turns, \(reference.count) events each: \(elapsed)")
        #expect(await host.stop() == 0)
    }

    /// Every malformed or oversize line gets one error line with its own code; the
    /// connection and the host carry on.
    @Test func malformedAndOversizeLinesGetErrorsAndNeverACrash() async throws {
        let host = try await UnixHost.start(unixOptions: "max_line_bytes = 4096")
        let client = try host.connect()
        #expect(await client.next("connection_established") != nil)
        let id = host.orchestratorID
        let corpus: [(String, String)] = [
            ("not json", "invalid_json"), ("{", "invalid_json"), ("{\"type\":\"ping\"", "invalid_json"), ("[1,2]", "invalid_json"),
            ("\"text\"", "invalid_json"), ("42", "invalid_json"), ("null", "invalid_json"), ("{\"type\":\"ping\"} trailing", "invalid_json"),
            ("{\"type\":\"ping\",}", "invalid_json"), ("{'type':'ping'}", "invalid_json"), ("{\"a\":\"\\x\"}", "invalid_json"),
            ("{\"a\":\"\\ud800\"}", "invalid_json"), ("{\"a\":01}", "invalid_json"), ("{\"a\":NaN}", "invalid_json"),
            (String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000), "invalid_json"),
            ("{\"a\":\"\u{7}\"}", "invalid_json"),
            ("{}", "invalid_request"), ("{\"type\":null}", "invalid_request"), ("{\"type\":7}", "invalid_request"),
            ("{\"type\":\"ping\",\"request_id\":[1]}", "invalid_request"),
            ("{\"type\":\"dance\"}", "unknown_type"), ("{\"type\":\"\"}", "unknown_type"),
            ("{\"type\":\"chat_message\"}", "invalid_request"),
            ("{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"\(id)\",\"message\":[\"x\"]}", "invalid_request"),
            ("{\"type\":\"resume\",\"orchestrator_agent_id\":\"\(id)\",\"last_seq\":-3}", "invalid_request"),
            ("{\"type\":\"resume\",\"orchestrator_agent_id\":\"\(id)\",\"last_seq\":\"3\"}", "invalid_request"),
            ("{\"type\":\"load_chat\",\"orchestrator_agent_id\":\"\(id)\",\"limit\":1.5}", "invalid_request"),
            ("{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"not-a-uuid\",\"message\":\"hi\"}", "invalid_uuid"),
            ("{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"00000000-0000-4000-8000-000000000000\",\"message\":\"hi\"}", "unknown_orchestrator"),
            ("{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"\(id)\",\"message\":\"   \"}", "empty_message"),
            ("{\"type\":\"load_chat\",\"orchestrator_agent_id\":\"\(id)\",\"before\":\"nope\"}", "invalid_uuid"),
            ("{\"type\":\"load_chat\",\"orchestrator_agent_id\":\"\(id)\",\"before\":\"00000000-0000-4000-8000-000000000000\"}", "unknown_message"),
        ]
        for (line, expected) in corpus {
            let before = client.lines.count
            try client.sendRaw(line + "\n")
            let reply = await client.next("error", after: before)
            #expect(reply?["code"]?.stringValue == expected, "\(line.prefix(60)) → \(String(describing: reply))")
            #expect(reply?["message"]?.stringValue?.isEmpty == false)
        }
        // Bytes that are not UTF-8, NUL bytes, and a line far over max_line_bytes, also sent in pieces.
        for (bytes, expected) in [(Data([0xFF, 0xFE, 0x7B, 0x0A]), "invalid_utf8"), (Data([0x7B, 0x00, 0x7D, 0x0A]), "invalid_json"),
                                  (Data(String(repeating: "x", count: 10_000).utf8) + Data([0x0A]), "line_too_long")] {
            let before = client.lines.count
            try client.sendRaw(bytes)
            #expect(await client.next("error", after: before)?["code"]?.stringValue == expected)
        }
        let before = client.lines.count
        for _ in 0..<5 { try client.sendRaw(String(repeating: "{", count: 3000)) }
        try client.sendRaw("}\n{\"type\":\"ping\",\"request_id\":\"after\"}\n")
        #expect(await client.next("error", after: before)?["message"] == "the line is longer than 4096 bytes (max_line_bytes), so it was discarded; send shorter lines")
        #expect(await client.next("pong", after: before)?["request_id"] == "after", "the rest of an over-long line is skipped, the next line served")
        #expect(client.lines.dropFirst(before).filter { $0["type"] == "error" }.count == 1, "an over-long line gets one error, however it arrives")

        // A seeded corpus of random lines: exactly one error each.
        var random = SeededRandom(seed: 0x0DDBA11)
        let errorsBefore = client.of(type: "error").count
        var batch = Data()
        for _ in 0..<2000 {
            var line = random.bytes(Int(random.next() % 200) + 1).map { $0 == 0x0A ? 0x41 : $0 }
            line[0] = UInt8(ascii: "#")
            batch.append(contentsOf: line)
            batch.append(0x0A)
        }
        try client.sendRaw(batch)
        #expect(await client.waitFor { $0.filter { $0["type"] == "error" }.count == errorsBefore + 2000 })
        #expect(try await client.ask(["type": "ping"], reply: "pong") != nil, "the connection still works")
        #expect(try await host.connect().ask(["type": "ping"], reply: "pong") != nil, "the host still works")
        #expect(host.orch.process.isRunning)
        #expect(await host.stop() == 0)
    }

    /// 100 turns of 100 chunks each: the reading client keeps up with every one, the
    /// stalled client falls more than 1,000 lines behind and is dropped, told why.
    @Test func aStalledClientIsDroppedWithoutSlowingTheOthers() async throws {
        let host = try await UnixHost.start(backend: Paths.plugin("SwiftEchoPlugin"), unixOptions: "client_queue_limit = 1000")
        let stalled = try host.connect(reading: false)
        let fast = try host.connect()
        #expect(await fast.next("connection_established") != nil)
        let turns = 100, words = 100
        let started = ContinuousClock.now
        for turn in 0..<turns {
            let message = (0..<words).map { "t\(turn)w\($0)" }.joined(separator: " ")
            _ = try await fast.ask(["type": "chat_message", "orchestrator_agent_id": .string(host.orchestratorID), "message": .string(message)])
        }
        // Once the host logs the drop, the stalled client has a grace period to read why.
        #expect(await eventually(timeout: .seconds(60)) { host.orch.stderr.contains("fell too far behind") })
        stalled.startReading()
        #expect(await fast.waitFor(timeout: .seconds(120)) { $0.filter { $0["type"] == "turn_complete" }.count == turns })
        let elapsed = ContinuousClock.now - started
        #expect(fast.of(type: "chat_stream").count == turns * words)
        #expect(fast.of(type: "error").isEmpty, "the reading client is never dropped")
        #expect(fast.events.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(fast.events.count)))
        #expect(await eventually(timeout: .seconds(20)) { stalled.isClosed })
        let last = try #require(stalled.lines.last)
        #expect(last["type"] == "error")
        #expect(last["code"] == "too_slow")
        #expect(last["message"] == "too slow: over 1000 lines or 16777216 bytes queued; reconnect and resume from your last seq")
        print("\(fast.events.count) events in \(turns) turns reached the reading client in \(elapsed) while another client stalled")

        // The dropped client comes back: what it missed has left the host's window (4096), so it must reload.
        let lastSeen = stalled.events.last?["seq"]?.intValue ?? 0
        let back = try host.connect()
        let reload = try #require(try await back.ask(["type": "resume", "orchestrator_agent_id": .string(host.orchestratorID), "last_seq": .int(lastSeen)],
                                                     reply: "reload_required"))
        #expect(reload["last_seq"] == fast.events.last?["seq"])
        #expect(await host.stop() == 0)
    }

    @Test func clientsOverMaxClientsAreToldWhyAndClosed() async throws {
        let host = try await UnixHost.start(unixOptions: "max_clients = 3")
        let admitted = try (0..<3).map { _ in try host.connect() }
        for client in admitted { #expect(await client.next("connection_established") != nil) }
        let refused = try host.connect()
        #expect(await eventually { refused.isClosed })
        #expect(refused.lines.count == 1)
        #expect(refused.lines.first?["code"] == "too_many_clients")
        #expect(refused.lines.first?["message"] == "too many clients are connected (max_clients); try again later")
        admitted[0].close()
        // Once the transport has noticed the departure, a new client is admitted.
        var admittedAgain = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !admittedAgain && ContinuousClock.now < deadline {
            let client = try host.connect()
            _ = await client.waitFor { !$0.isEmpty }
            admittedAgain = client.lines.first?["type"] == "connection_established"
        }
        #expect(admittedAgain)
        #expect(await host.stop() == 0)
    }

    /// Out of file descriptors, the transport stops accepting for a moment instead of
    /// spinning, and serves the waiting clients once descriptors are free again.
    @Test func runningOutOfDescriptorsPausesAcceptingWithoutSpinning() async throws {
        let host = try await UnixHost.start()
        let pid = host.orch.process.processIdentifier
        let open = try openDescriptors(pid)
        let limit = open + 10
        #expect(try run("/usr/bin/env", ["prlimit", "--pid", "\(pid)", "--nofile=\(limit):\(limit)"]).status == 0)
        let clients = try (0..<30).map { _ in try host.connect() }
        #expect(await eventually { host.orch.stderr.contains("cannot accept a client: Too many open files; trying again in 100 ms") })
        let served = clients.filter { $0.lines.first?["type"] == "connection_established" }.count
        #expect(served < 30, "some clients wait in the backlog")
        let before = try Self.cpuTicks(pid)
        try await Task.sleep(for: .seconds(1)) // measuring CPU use over a fixed second is the point here
        #expect(try Self.cpuTicks(pid) - before < 30, "no busy loop while descriptors are exhausted")
        for client in clients.prefix(20) { client.close() }
        #expect(await eventually(timeout: .seconds(20)) { clients.suffix(10).allSatisfy { $0.lines.first?["type"] == "connection_established" } },
                "the waiting clients are served once descriptors are free")
        #expect(await host.stop() == 0)
    }

    /// User plus system CPU time of a process, in clock ticks.
    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    @Test func resumeReplaysExactlyWhatWasMissedThenContinuesLive() async throws {
        let host = try await UnixHost.start()
        let id = host.orchestratorID
        let first = try host.connect()
        _ = try await first.ask(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": "one"])
        #expect(await first.waitFor { $0.contains { $0["type"] == "turn_complete" } })
        let seen = first.events.last?["seq"]?.intValue ?? 0
        first.close()
        let writer = try host.connect()
        _ = try await writer.ask(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": "two"])
        #expect(await writer.waitFor { $0.contains { $0["type"] == "turn_complete" } })

        let back = try host.connect()
        let resumed = try #require(try await back.ask(["type": "resume", "orchestrator_agent_id": .string(id), "last_seq": .int(seen),
                                                       "request_id": "again"], reply: "resumed"))
        #expect(back.events == writer.events, "exactly the missed events, in order")
        #expect(resumed["replayed"] == .int(Int64(writer.events.count)))
        #expect(resumed["last_seq"] == writer.events.last?["seq"])
        #expect(resumed["request_id"] == "again")
        _ = try await writer.ask(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": "three"])
        #expect(await back.waitFor { $0.filter { $0["type"] == "turn_complete" }.count == 2 })
        let seqs = back.events.map { $0["seq"]?.intValue ?? 0 }
        #expect(seqs == Array((seen + 1)...(seen + Int64(seqs.count))), "live events follow the replay without gaps or repeats")
        #expect(await host.stop() == 0)
    }

    /// A resume sent while a turn streams: live events are held back while the
    /// replay is written and nothing already sent is sent again, so the client
    /// gets every seq exactly once (in order, unless live events beat its resume).
    @Test func resumeDuringATurnDeliversEverySeqExactlyOnce() async throws {
        let host = try await UnixHost.start()
        let id = host.orchestratorID
        let writer = try host.connect()
        _ = try await writer.ask(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": "wait for it"])
        #expect(await writer.waitFor { $0.contains { $0["type"] == "chat_stream" } })
        let late = try host.connect()
        try late.send(["type": "resume", "orchestrator_agent_id": .string(id), "last_seq": 0])
        try writer.send(["type": "interrupt", "orchestrator_agent_id": .string(id)])
        #expect(await late.waitFor { $0.contains { $0["type"] == "turn_complete" } && $0.contains { $0["type"] == "resumed" } })
        #expect(await writer.waitFor { $0.contains { $0["type"] == "turn_complete" } })
        let bySeq = late.events.sorted { ($0["seq"]?.intValue ?? 0) < ($1["seq"]?.intValue ?? 0) }
        #expect(bySeq == writer.events)
        #expect(bySeq.map { $0["seq"]?.intValue ?? 0 } == Array(1...Int64(late.events.count)))
        #expect(late.events.first { $0["type"] == "turn_complete" }?["status"] == "interrupted")
        #expect(await host.stop() == 0)
    }

    /// Messages from one client are accepted in the order written, even while the
    /// first waits for its whole turn; past 16 outstanding requests the client is told to wait.
    @Test func oneClientsMessagesKeepTheirOrderAndItsRequestsAreBounded() async throws {
        let host = try await UnixHost.start()
        let id = host.orchestratorID
        let client = try host.connect()
        #expect(await client.next("connection_established") != nil)
        try client.send(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": "wait first", "wait": true])
        #expect(await client.waitFor { $0.contains { $0["type"] == "chat_stream" } })
        for index in 1...16 {
            try client.send(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": .string("queued \(index)"),
                             "request_id": .int(Int64(index))])
        }
        let busy = try #require(await client.next("error"))
        #expect(busy["in_reply_to"] == "chat_message")
        #expect(busy["code"] == "too_many_requests")
        #expect(busy["request_id"] == 16)
        #expect(busy["message"] == "16 requests are already running for this connection; wait for their replies")
        try client.send(["type": "interrupt", "orchestrator_agent_id": .string(id)])
        #expect(await client.waitFor { $0.filter { $0["type"] == "turn_complete" }.count == 16 })
        let users = client.events.filter { $0["type"] == "orchestrator_chat" && $0["message"]?["sender_type"] == "user" }
        #expect(users.compactMap { $0["message"]?["message"]?.stringValue } == ["wait first"] + (1...15).map { "queued \($0)" })
        let interrupted = client.of(type: "error").first { $0["code"] == "interrupted" }
        #expect(interrupted?["in_reply_to"] == "chat_message", "the waiting send_chat learns its turn was interrupted")
        #expect(client.of(type: "ack").filter { $0["in_reply_to"] == "chat_message" }.count == 15)
        #expect(await host.stop() == 0)
    }

    @Test func repliesGoToTheAskingClientOnly() async throws {
        let host = try await UnixHost.start()
        let asking = try host.connect(), watching = try host.connect()
        #expect(await watching.next("connection_established") != nil)
        _ = try await asking.ask(["type": "ping", "request_id": "p"], reply: "pong")
        _ = try await asking.ask(["type": "load_chat", "orchestrator_agent_id": .string(host.orchestratorID)], reply: "chat_history")
        _ = try await asking.ask(["type": "interrupt", "orchestrator_agent_id": "nope"], reply: "error")
        let health = try #require(try await asking.ask(["type": "health"]))
        #expect(health["status"] == "ok")
        _ = try await asking.ask(["type": "chat_message", "orchestrator_agent_id": .string(host.orchestratorID), "message": "for all"])
        // Both have the whole turn before they are compared: each client is written to on its own.
        #expect(await watching.waitFor { $0.contains { $0["type"] == "turn_complete" } })
        #expect(await asking.waitFor { $0.contains { $0["type"] == "turn_complete" } })
        let replies = watching.lines.filter { ["pong", "chat_history", "ack", "error"].contains($0["type"]?.stringValue ?? "") }
        #expect(replies.isEmpty)
        #expect(watching.events == asking.events, "wire events go to every client")
        #expect(await host.stop() == 0)
    }

    @Test func stoppingTellsEveryClientAndRemovesTheSocket() async throws {
        let host = try await UnixHost.start()
        let clients = try (0..<3).map { _ in try host.connect() }
        for client in clients { #expect(await client.next("connection_established") != nil) }
        #expect(await host.stop() == 0)
        for client in clients {
            #expect(await eventually { client.isClosed })
            #expect(client.lines.last?["code"] == "shutting_down")
            #expect(client.lines.last?["message"] == "orch is shutting down; reconnect and resume from your last seq")
        }
        #expect(!FileManager.default.fileExists(atPath: host.socket))
    }

    /// A config for a host that is expected to fail before it is ready.
    static func config(socket: String, options: String = "") throws -> String {
        try UnixHost.writeConfig(in: try Paths.temporaryDirectory(), socket: socket, unixOptions: options)
    }
}
