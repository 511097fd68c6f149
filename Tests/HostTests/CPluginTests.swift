import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// A plugin written in plain C against the header alone loads and round-trips
/// requests and events in both directions.
@Suite struct CPluginTests {
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: Logger(label: "test"))

    func context(_ recorder: Recorder, options: String = "{}") -> PluginLoader.Context {
        .init(label: "c-test", config: Data(options.utf8), requests: testRequests(), events: recorder)
    }

    @Test func descriptorIsReadAndOnlyTheEntryIsExported() throws {
        let path = try CPlugin.build()
        let library = try loader.library(path, relativeTo: "/")
        #expect(library.name == "CTestPlugin")
        #expect(library.version == "1.0.0")
        #expect(library.toolchain == "c")
        #expect(library.abi == "1.\(ABI.minor)")
        #expect(library.kinds == [.store, .backend, .transport])
        let exported = try run("/usr/bin/env", ["nm", "-D", "--defined-only", "--extern-only", path])
        #expect(exported.output.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" } == ["orch_plugin_entry_v1"])
    }

    @Test func requestsCompleteInlineFromAnotherThreadAndThroughTheHost() async throws {
        let recorder = Recorder()
        let store = try loader.makeStore(try loader.library(try CPlugin.build(), relativeTo: "/"), context(recorder, options: #"{"path":"x"}"#))
        let echo = Data(#"{"op":"echo","text":"héllo"}"#.utf8)
        #expect(try await store.request(echo) == echo)
        let async = Data(#"{"op":"echo_async","n":1}"#.utf8)
        #expect(try await store.request(async) == async)
        #expect(try json(try await store.request(Data(#"{"op":"ask_host"}"#.utf8)))["pong"] == .bool(true))
        #expect(try await store.request(Data(#"{"op":"config"}"#.utf8)) == Data(#"{"path":"x"}"#.utf8))
        await #expect(throws: PluginError(.unsupported, code: "unknown_op", #"c-test-plugin has no op "nope""#, retryable: false)) {
            try await store.request(Data(#"{"op":"nope"}"#.utf8))
        }
        #expect(await store.ref.destroy())
    }

    @Test func aTurnStreamsEventsInOrder() async throws {
        let backend = try loader.makeBackend(try loader.library(try CPlugin.build(), relativeTo: "/"), context(Recorder()))
        let seen = Recorder()
        let result = try await backend.runTurn(Data(#"{"turn_id":"t1","message":"hi"}"#.utf8)) { event in
            seen.publish(event, from: "backend")
        }
        #expect(try json(result)["session_id"] == .string("c-session"))
        #expect(seen.events.map(\.text) == ["You", " said", ": ", "hi", "You said: hi"])
        #expect(seen.events.map(\.kind) == [.textDelta, .textDelta, .textDelta, .textDelta, .blockFinal])
        #expect(seen.events.allSatisfy { $0.turnID == "t1" })
        await backend.ref.destroy()
    }

    @Test func eventsRoundTripThroughTheBusAndTheTransport() async throws {
        let bus = EventBus(replayWindow: 16)
        let relayLogger = Logger(label: "test")
        let transport = try loader.makeTransport(
            try loader.library(try CPlugin.build(), relativeTo: "/"),
            .init(label: "c-test", config: Data("{}".utf8), requests: testRequests(), events: PluginEventRelay(bus: bus, logger: relayLogger)))
        bus.attach(transport)
        #expect(try json(try await transport.start())["listening"] == .string("c-test:nowhere"))
        let seen = Recorder()
        bus.subscribe { event in event.withCEvent { seen.publish(EventView($0), from: "bus") } }
        bus.publish(Event(kind: .wire, orchestratorID: "o1", json: Data(#"{"type":"c_test_ping"}"#.utf8)))
        #expect(await eventually { seen.events.count == 2 })
        try #require(seen.events.map(\.seq) == [1, 2])
        #expect(String(decoding: seen.events[0].json, as: UTF8.self) == #"{"seq":1,"type":"c_test_ping"}"#)
        #expect(String(decoding: seen.events[1].json, as: UTF8.self) == #"{"seq":2,"type":"c_test_pong","ping_seq":1}"#)
        try await transport.stop()
        bus.detachAll()
        await transport.ref.destroy()
    }
}
