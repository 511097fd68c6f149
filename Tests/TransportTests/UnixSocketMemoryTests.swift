import Foundation
import OrchTesting
import PluginAPI
import StoreModel
import Testing

/// UnixSocketTransport under memory checkers: its pure parts under valgrind and
/// ASan+UBSan, and the whole plugin under ASan+UBSan inside the real `orch
/// serve` through a workload of every path (valgrind itself cannot run the
/// Swift host: it cannot read the toolchain's DWARF 5 and crashes in its signal
/// handling, so ASan stands in for it there).
@Suite(.serialized) struct UnixSocketMemoryTests {
    static let unitTest = "\(Paths.repository)/Tests/UnixSocketTransport/unit_test.c"
    static let pureSources = ["json.c", "buf.c", "protocol.c", "options.c", "line_queue.c", "timeouts.c"].map { "\(UnixTransport.sources)/\($0)" }

    static func compile(_ flags: [String], sources: [String], output: String) throws {
        let result = try run("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-pthread",
                                              "-I", UnixTransport.sources, "-I", Paths.header] + flags + sources + ["-o", output])
        guard result.status == 0 else { throw CPlugin.BuildFailure(output: result.output) }
    }

    @Test func theJSONReaderProtocolAndOptionsPassTheirUnitTestsUnderASanAndUBSan() throws {
        let binary = try Paths.temporaryDirectory().appendingPathComponent("unit-asan").path
        try Self.compile(["-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"], sources: [Self.unitTest] + Self.pureSources, output: binary)
        let result = try run(binary, [])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(", 0 failures"), "\(result.output)")
    }

    @Test func theUnitTestsAreValgrindClean() throws {
        let binary = try Paths.temporaryDirectory().appendingPathComponent("unit").path
        try Self.compile(["-O0"], sources: [Self.unitTest] + Self.pureSources, output: binary)
        let result = try run("/usr/bin/env", ["valgrind", "--leak-check=full", "--show-leak-kinds=all", "--errors-for-leak-kinds=all",
                                              "--error-exitcode=99", binary])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ERROR SUMMARY: 0 errors from 0 contexts"), "\(result.output)")
        #expect(result.output.contains("All heap blocks were freed -- no leaks are possible"), "\(result.output)")
    }

    /// The plugin built with ASan+UBSan, loaded by the real host (ASan preloaded), put
    /// through chats, many clients, abrupt disconnects, malformed and oversize
    /// lines, a stalled client, resumes and a shutdown with clients connected.
    @Test func thePluginInTheRealHostHasNoLeaksOrInvalidAccesses() async throws {
        let directory = try Paths.temporaryDirectory()
        let plugin = directory.appendingPathComponent("libUnixSocketTransport.so").path
        let sources = try FileManager.default.contentsOfDirectory(atPath: UnixTransport.sources).filter { $0.hasSuffix(".c") }.sorted()
        try Self.compile(["-O1", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                          "-fPIC", "-shared", "-fvisibility=hidden"],
                         sources: sources.map { "\(UnixTransport.sources)/\($0)" }, output: plugin)
        let asan = try run("/usr/bin/env", ["gcc", "-print-file-name=libasan.so"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let log = directory.appendingPathComponent("sanitizer").path
        let host = try await UnixHost.start(in: directory, plugin: plugin,
                                            unixOptions: "client_queue_limit = 64\nmax_line_bytes = 1024", host: "replay_window = 512", environment: [
                                                "LD_PRELOAD": asan,
                                                "ASAN_OPTIONS": "detect_leaks=1:log_path=\(log):abort_on_error=0",
                                                "LSAN_OPTIONS": "exitcode=0",
                                                "UBSAN_OPTIONS": "print_stacktrace=1:log_path=\(log)",
                                            ])
        try await Self.workload(host)
        #expect(await host.stop() == 0, "stdout: \(host.orch.stdout)\nstderr: \(host.orch.stderr)")

        let reports = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("sanitizer.") }
            .map { try String(contentsOfFile: directory.appendingPathComponent($0).path, encoding: .utf8) }.joined(separator: "\n")
        #expect(!reports.contains("ERROR: AddressSanitizer"), "\(reports)")
        #expect(!reports.contains("runtime error:"), "\(reports)")
        let leaks = Self.leakRecords(in: reports)
        // A frame of the plugin names its source file when symbolized, its library when not.
        let ours = leaks.filter { $0.contains(UnixTransport.sources) || $0.contains(plugin) }
        #expect(ours.isEmpty, "\(ours.joined(separator: "\n\n"))")
        print("ASan+UBSan on UnixSocketTransport in orch serve: 0 errors; \(ours.count) of \(leaks.count) leak records at exit are the plugin's (the rest are the Swift host's own)")
    }

    /// The "Direct leak" / "Indirect leak" records of a LeakSanitizer report.
    static func leakRecords(in report: String) -> [String] {
        report.components(separatedBy: "\n\n").filter { $0.contains("leak of") }
    }

    static func workload(_ host: UnixHost) async throws {
        let id = host.orchestratorID
        let chatting = try host.connect()
        _ = try await chatting.ask(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": "one two three", "request_id": "a"])
        #expect(await chatting.waitFor { $0.contains { $0["type"] == "chat_stream" } })
        #expect(await chatting.waitFor { $0.contains { $0["type"] == "turn_complete" } })
        _ = try await chatting.ask(["type": "load_chat", "orchestrator_agent_id": .string(id), "limit": 5], reply: "chat_history")
        _ = try await chatting.ask(["type": "health"])
        _ = try await chatting.ask(["type": "ping", "request_id": 1], reply: "pong")
        _ = try await chatting.ask(["type": "interrupt", "orchestrator_agent_id": .string(id)])

        // Many clients; some leave abruptly with requests in flight or half a line written.
        let crowd = try (0..<20).map { _ in try host.connect() }
        for (index, client) in crowd.enumerated() {
            try client.send(["type": "get_orchestrator", "request_id": .int(Int64(index))])
            if index % 3 == 0 { try client.sendRaw("{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"\(id)\",\"message\":\"bye \(index)\"}\n{\"type\":") }
            if index % 2 == 0 { client.close() }
        }
        for (index, client) in crowd.enumerated() where index % 2 == 1 {
            #expect(await client.waitFor { $0.contains { $0["type"] == "ack" } })
        }

        // Malformed and oversize input.
        let corpus = ["not json", "{", "[]", "{\"type\":5}", "{\"type\":\"nope\"}", "{\"type\":\"resume\"}", String(repeating: "[", count: 500),
                      String(repeating: "x", count: 5000), "{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"bad\",\"message\":\"x\"}"]
        let before = chatting.of(type: "error").count
        for line in corpus { try chatting.sendRaw(line + "\n") }
        try chatting.sendRaw(Data([0xC3, 0x28, 0x0A]))
        #expect(await chatting.waitFor { $0.filter { $0["type"] == "error" }.count == before + corpus.count + 1 })

        // A stalled client overflows its 64 lines (plus what the kernel holds) and is dropped.
        let stalled = try host.connect(reading: false)
        var lastTurn: JSONValue?
        for turn in 0..<100 {
            lastTurn = try await chatting.ask(["type": "chat_message", "orchestrator_agent_id": .string(id), "message": .string("turn \(turn)")])?["turn_id"]
        }
        #expect(await chatting.waitFor(timeout: .seconds(60)) { $0.contains { $0["type"] == "turn_complete" && $0["turn_id"] == lastTurn } })
        stalled.startReading()
        #expect(await eventually(timeout: .seconds(20)) { stalled.isClosed })

        // Resumes: one that replays, one that must reload.
        let resuming = try host.connect()
        let lastSeq = chatting.events.last?["seq"]?.intValue ?? 0
        _ = try await resuming.ask(["type": "resume", "orchestrator_agent_id": .string(id), "last_seq": .int(lastSeq - 3)], reply: "resumed")
        _ = try await resuming.ask(["type": "resume", "orchestrator_agent_id": .string(id), "last_seq": 1], reply: "reload_required")

        // Clients still connected when the host stops: `stop` and `destroy` free them.
        _ = try host.connect()
        try resuming.sendRaw("{\"type\":\"ping\"")
    }
}
