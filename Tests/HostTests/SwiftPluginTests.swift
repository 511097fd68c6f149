import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// Swift plugins through the same ABI, including two that each bundle SwiftNIO.
@Suite struct SwiftPluginTests {
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: Logger(label: "test"))

    func context(_ options: String = "{}") -> PluginLoader.Context {
        .init(label: "swift-test", config: Data(options.utf8), requests: testRequests(), events: Recorder())
    }

    @Test func twoPluginsThatEachBundleNIOWorkInOneHost() async throws {
        for name in ["NIOLineTransport", "NIOLineProbe"] {
            let exported = try run("/usr/bin/env", ["nm", "-D", "--defined-only", "--extern-only", Paths.plugin(name)])
            #expect(exported.output.split(separator: "\n").count == 1, "\(name) must export only its entry: \(exported.output.prefix(300))")
        }
        let transport = try loader.makeTransport(try loader.library(Paths.plugin("NIOLineTransport"), relativeTo: "/"),
                                                 context(#"{"listen":"127.0.0.1:0"}"#))
        let probe = try loader.makeStore(try loader.library(Paths.plugin("NIOLineProbe"), relativeTo: "/"), context())
        let address = try json(try await transport.start())["listening"]?.stringValue ?? ""
        #expect(address.hasPrefix("127.0.0.1:"))
        // probe (NIO client, plugin B) → transport (NIO server, plugin A) → host "ping" → back.
        for _ in 0..<20 {
            let reply = try json(try await probe.request(try JSON.encode(["op": "probe", "address": address, "line": #"{"op":"ping"}"#])))
            #expect(reply["reply"] == .string(#"{"pong":true}"#))
        }
        try await transport.stop()
        await transport.ref.destroy()
        await probe.ref.destroy()
    }

    @Test func swiftPluginServesEveryKind() async throws {
        let library = try loader.library(Paths.plugin("SwiftEchoPlugin"), relativeTo: "/")
        #expect(library.toolchain == ABI.swiftToolchain)
        let store = try loader.makeStore(library, context())
        #expect(try json(try await store.request(Data(#"{"op":"ask_host"}"#.utf8)))["pong"] == .bool(true))
        await #expect(throws: PluginError(.invalid, code: "invalid_request", #"a request must be a JSON object with a string "op"; got [1]"#, retryable: false)) {
            try await store.request(Data("[1]".utf8))
        }
        let backend = try loader.makeBackend(library, context())
        let seen = Recorder()
        let result = try await backend.runTurn(Data(#"{"turn_id":"t","message":"a b c"}"#.utf8)) { seen.publish($0, from: "b") }
        #expect(seen.events.map(\.text) == ["a ", "b ", "c "])
        #expect(try json(result)["session_id"] == .string("swift-session"))
        await #expect(throws: PluginError(.invalid, code: "invalid_request", #"start_turn: missing field "message""#, retryable: false)) {
            _ = try await backend.runTurn(Data(#"{"op":"start_turn","turn_id":"t"}"#.utf8)) { _ in }
        }
        await store.ref.destroy()
        await backend.ref.destroy()
    }
}
