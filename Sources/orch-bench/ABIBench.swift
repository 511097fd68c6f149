import Foundation
import Logging
import OrchHost
import PluginAPI

/// The cost of crossing the plugin boundary, and host start-to-ready time.
enum ABIBench {
    static func run(_ arguments: [String]) async throws {
        let buildDirectory = PluginLocator.executableDirectory
        let cPlugin = try buildCPlugin()
        let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: Logger(label: "bench"))
        let counter = CountingSink()
        let requests = HostRequests()
        let context = PluginLoader.Context(label: "bench", config: Data("{}".utf8), requests: requests, events: counter)
        let c = try loader.library(cPlugin, relativeTo: "/")
        let swift = try loader.library("\(buildDirectory)/libSwiftEchoPlugin.so", relativeTo: "/")

        Measure.say("ABI call costs (host → plugin → host), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        Measure.row("path", "per call", target: "target")

        // Control requests: JSON bytes through `request`, completion through the callback.
        let cStore = try loader.makeStore(c, context)
        let echo = Data(#"{"op":"echo","text":"hello world","n":41}"#.utf8)
        let syncRaw = echo.withUnsafeBytes { raw in
            let bytes = orch_bytes(ptr: raw.bindMemory(to: UInt8.self).baseAddress, len: raw.count)
            return Measure.perCall(iterations: 1_000_000) {
                cStore.ref.send(bytes, completion: orch_completion(ctx: nil, fn: { _, _, _ in }))
            }
        }
        Measure.row("control, sync, C plugin, JSON bytes (no codec)", Measure.format(nanoseconds: syncRaw))
        struct Echo: Codable { var op: String; var text: String; var n: Int }
        let syncCodec = Measure.perCall(iterations: 100_000) {
            let body = try! JSON.encode(Echo(op: "echo", text: "hello world", n: 41))
            body.withUnsafeBytes { raw in
                cStore.ref.send(orch_bytes(ptr: raw.bindMemory(to: UInt8.self).baseAddress, len: raw.count),
                                completion: orch_completion(ctx: nil, fn: { _, _, reply in
                                    _ = try? JSONDecoder().decode(Echo.self, from: reply.data)
                                }))
            }
        }
        Measure.row("control, sync, C plugin, Foundation JSON both ways", Measure.format(nanoseconds: syncCodec))
        let asyncEcho = Data(#"{"op":"echo_async","text":"hello world","n":41}"#.utf8)
        let asyncC = try await Measure.perCall(iterations: 50_000) { _ = try await cStore.request(asyncEcho) }
        Measure.row("control, async, C plugin (worker thread completes)", Measure.format(nanoseconds: asyncC))
        let swiftStore = try loader.makeStore(swift, context)
        let asyncSwift = try await Measure.perCall(iterations: 50_000) { _ = try await swiftStore.request(echo) }
        Measure.row("control, async, Swift plugin (Task completes)", Measure.format(nanoseconds: asyncSwift))

        // Streamed events: deliver(struct) → plugin → host->publish(struct).
        let cTransport = try loader.makeTransport(c, context)
        let bounce = Event(kind: .custom, orchestratorID: "o", text: "bounce")
        let syncEvent = bounce.withCEvent { pointer in
            Measure.perCall(iterations: 1_000_000) { cTransport.deliver(pointer) }
        }
        Measure.row("event, sync, C plugin (struct both ways)", Measure.format(nanoseconds: syncEvent), target: "< 100 ns")
        let swiftTransport = try loader.makeTransport(swift, context)
        let syncSwiftEvent = bounce.withCEvent { pointer in
            Measure.perCall(iterations: 1_000_000) { swiftTransport.deliver(pointer) }
        }
        Measure.row("event, sync, Swift plugin (struct both ways)", Measure.format(nanoseconds: syncSwiftEvent), target: "< 100 ns")
        let asyncEvent = Event(kind: .custom, orchestratorID: "o", text: "bounce_async")
        let pipelined = asyncEvent.withCEvent { pointer in
            Measure.perCall(iterations: 1, runs: 5) {
                let before = counter.count
                for _ in 0..<200_000 { cTransport.deliver(pointer) }
                while counter.count < before + 200_000 { sched_yield() }
            } / 200_000
        }
        Measure.row("event, async, C plugin (its thread publishes back)", Measure.format(nanoseconds: pipelined), target: "< 1 µs")
        let oneByOne = asyncEvent.withCEvent { pointer in
            Measure.perCall(iterations: 20_000) {
                let before = counter.count
                cTransport.deliver(pointer)
                while counter.count == before { sched_yield() }
            }
        }
        Measure.row("event, async, one at a time (thread wake-up latency)", Measure.format(nanoseconds: oneByOne))
        for instance in [cStore.ref, swiftStore.ref, cTransport.ref, swiftTransport.ref] { await instance.destroy() }

        try await startToReady(cPlugin: cPlugin)
    }

    /// `orch serve` from exec to "orch ready" with a store, a backend and a transport from three
    /// libraries. The store is SQLite on a file the first start creates, so the other six measure
    /// a start on an existing history, as every start after the first one is.
    static func startToReady(cPlugin: String) async throws {
        let (directory, config) = try ServedHost.scratchConfig("""
            [backend]
            plugin = "\(cPlugin)"
            [[transports]]
            plugin = "NIOLineTransport"
            [transports.options]
            listen = "127.0.0.1:0"
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        var samples: [Double] = []
        for _ in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            let host = try await ServedHost.start(config: config)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start))
            host.stop()
        }
        Measure.row("host start-to-ready, 3 plugins (median of 7, exec → ready)", Measure.format(nanoseconds: Measure.percentile(samples, 50)), target: "< 150 ms")
    }

    static func buildCPlugin() throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("orch-bench-libCTestPlugin.so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-std=c11", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-pthread",
                             "-I", "Sources/PluginAPI/C/include", "Tests/Plugins/CTestPlugin/c_test_plugin.c", "-o", output]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PluginError.internal("could not compile the C test plugin; run orch-bench from the repository root")
        }
        return output
    }
}

/// Counts events published back by plugins; nothing else, so the boundary is what is measured.
final class CountingSink: HostEventSink, @unchecked Sendable {
    private let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private let lock = NSLock()
    init() { counter.initialize(to: 0) }
    var count: Int { lock.withLock { counter.pointee } }
    func publish(_ event: EventView, from plugin: String) { lock.withLock { counter.pointee += 1 } }
}
