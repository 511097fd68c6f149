import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// ABI stability, held to the frozen headers of every published minor, Tests/ABI/v1.0 and
/// Tests/ABI/v1.1 (see Tests/ABI/README.md).
@Suite struct ABITests {
    static let abi = "\(Paths.repository)/Tests/ABI"
    /// The published minors, each frozen in Tests/ABI/v<version>.
    static let versions = ["1.0", "1.1"]
    static func frozen(_ version: String) -> String { "\(abi)/v\(version)" }
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: Logger(label: "test"))

    /// Compiles C (or, with `cxx`, C++17) against the header directory given. Each
    /// source is first copied to a directory of its own: `#include "orch_plugin.h"`
    /// looks beside the source before `-I`, and the frozen sources sit beside the frozen header.
    static func compile(_ sources: [String], header: String, output: String, flags: [String] = [], cxx: Bool = false) throws -> (status: Int32, output: String) {
        let directory = try Paths.temporaryDirectory()
        let copies = try sources.map { source in
            let copy = directory.appendingPathComponent(URL(fileURLWithPath: source).lastPathComponent)
            try FileManager.default.copyItem(at: URL(fileURLWithPath: source), to: copy)
            return copy.path
        }
        let compiler = cxx ? ["g++", "-std=c++17", "-x", "c++"] : ["cc", "-std=c11"]
        return try run("/usr/bin/env", compiler + ["-Wall", "-Wextra", "-Werror", "-pedantic", "-I", header] + flags + copies + ["-o", output])
    }

    /// The frozen plugin of `version`, built against `header` (by default its own frozen header).
    static func frozenPlugin(_ version: String = "1.0", header: String? = nil) throws -> String {
        let output = try Paths.temporaryDirectory().appendingPathComponent("libFrozenPlugin.so").path
        let result = try compile(["\(frozen(version))/frozen_plugin.c"], header: header ?? frozen(version), output: output,
                                 flags: ["-fPIC", "-shared", "-fvisibility=hidden"])
        guard result.status == 0 else { throw CPlugin.BuildFailure(output: result.output) }
        return output
    }

    @Test func aPluginBuiltAgainstTheFrozen1_0HeaderLoadsAndRoundTripsRequests() async throws {
        let path = try Self.frozenPlugin()
        let library = try loader.library(path, relativeTo: "/")
        #expect(library.name == "FrozenPlugin")
        #expect(library.abi == "1.0")
        #expect(library.kinds == [.store, .transport])
        let context = PluginLoader.Context(label: "frozen", config: Data("{}".utf8), requests: testRequests(), events: Recorder())
        let store = try loader.makeStore(library, context)
        let echo = Data(#"{"op":"echo","n":1}"#.utf8)
        #expect(try await store.request(echo) == echo)
        #expect(try json(try await store.request(Data(#"{"op":"ask_host"}"#.utf8))) == ["pong": true], "plugin → host → plugin → host")
        await #expect(throws: PluginError(.unsupported, code: "unknown_op", "frozen-plugin knows echo, ask_host and delivered", retryable: false)) {
            try await store.request(Data(#"{"op":"nope"}"#.utf8))
        }
        #expect(await store.ref.destroy())

        let transport = try loader.makeTransport(library, context)
        let bus = EventBus(replayWindow: 8)
        bus.attach(transport)
        #expect(try json(try await transport.start()) == ["listening": "frozen:nowhere"])
        for _ in 0..<3 { bus.publish(Event(kind: .wire, orchestratorID: "o", json: Data(#"{"type":"ping"}"#.utf8))) }
        #expect(try json(try await transport.request(Data(#"{"op":"delivered"}"#.utf8))) == ["delivered": 3])
        try await transport.stop()
        bus.detachAll()
        #expect(await transport.ref.destroy())
    }

    @Test func aPluginBuiltAgainstTheFrozen1_1HeaderLoadsAndRoundTripsRequestsAndDiagnostics() async throws {
        let path = try Self.frozenPlugin("1.1")
        let library = try loader.library(path, relativeTo: "/")
        #expect(library.name == "FrozenPlugin11")
        #expect(library.abi == "1.1")
        #expect(library.kinds == [.store, .transport])
        let context = PluginLoader.Context(label: "frozen-1.1", config: Data("{}".utf8), requests: testRequests(), events: Recorder())
        let store = try loader.makeStore(library, context)
        let echo = Data(#"{"op":"echo","n":11}"#.utf8)
        #expect(try await store.request(echo) == echo)
        #expect(try json(try await store.request(Data(#"{"op":"ask_host"}"#.utf8))) == ["pong": true], "plugin → host → plugin → host")
        // What 1.1 added: the optional diagnostics interface.
        #expect(store.providesDiagnostics)
        #expect(try json(try await store.diagnosticsRequest(Data(#"{"op":"row_counts"}"#.utf8))) == ["tables": ["frozen": 11]])
        await #expect(throws: PluginError(.unsupported, code: "unknown_op", "frozen-plugin 1.1 diagnostics know row_counts", retryable: false)) {
            try await store.diagnosticsRequest(Data(#"{"op":"nope"}"#.utf8))
        }
        #expect(await store.ref.destroy())

        let transport = try loader.makeTransport(library, context)
        let bus = EventBus(replayWindow: 8)
        bus.attach(transport)
        #expect(try json(try await transport.start()) == ["listening": "frozen:nowhere"])
        for _ in 0..<2 { bus.publish(Event(kind: .wire, orchestratorID: "o", json: Data(#"{"type":"ping"}"#.utf8))) }
        #expect(try json(try await transport.request(Data(#"{"op":"delivered"}"#.utf8))) == ["delivered": 2])
        try await transport.stop()
        bus.detachAll()
        #expect(await transport.ref.destroy())
    }

    @Test(arguments: [("1.0", "FrozenPlugin 1.0.0"), ("1.1", "FrozenPlugin11 1.1.0")])
    func theFrozenPluginRunsInTheRealOrch(version: String, plugin: String) async throws {
        let host = try await UnixHost.start(transports: "[[transports]]\nplugin = \"\(try Self.frozenPlugin(version))\"")
        #expect(host.orch.stdout.contains("loaded transport \(plugin) (ABI \(version))"))
        #expect(host.orch.stdout.contains("listening on frozen:nowhere"))
        #expect(await host.stop() == 0)
    }

    /// The frozen layout of `version`, as lines of its `layout_dump.c` built against `header`.
    static func layout(_ version: String, header: String) throws -> [String] {
        let binary = try Paths.temporaryDirectory().appendingPathComponent("dump").path
        let built = try compile(["\(frozen(version))/layout_dump.c"], header: header, output: binary)
        guard built.status == 0 else { throw CPlugin.BuildFailure(output: built.output) }
        return try run(binary, []).output.split(separator: "\n").map(String.init)
    }

    /// static_asserts that a header keeps the frozen layout: same offsets and field
    /// sizes, structs no smaller, constants unchanged (the minor may only grow).
    static func assertions(for layout: [String], version: String) -> String {
        var lines = ["#include \"orch_plugin.h\"", "#include <assert.h>", "#include <stddef.h>"]
        for entry in layout {
            let parts = entry.split(separator: " ").map(String.init)
            switch parts.first {
            case "field":
                let (type, member, offset, size) = (parts[1], parts[2], parts[3], parts[4])
                lines.append("static_assert(offsetof(\(type), \(member)) == \(offset), \"\(type).\(member) moved from its ABI \(version) offset \(offset)\");")
                lines.append("static_assert(sizeof(((\(type) *)0)->\(member)) == \(size), \"\(type).\(member) changed size from \(size)\");")
            case "struct":
                lines.append("static_assert(sizeof(\(parts[1])) >= \(parts[2]), \"\(parts[1]) shrank below its ABI \(version) size \(parts[2])\");")
            case "scalar":
                lines.append("static_assert(sizeof(\(parts[1])) == \(parts[2]), \"\(parts[1]) changed size\");")
            case "const":
                let relation = parts[1] == "ORCH_ABI_MINOR" ? ">=" : "=="
                lines.append("static_assert(\(parts[1]) \(relation) \(parts[2]), \"\(parts[1]) changed from its ABI \(version) value \(parts[2])\");")
            default:
                break
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func checkAgainstFrozen(_ version: String, header: String) throws -> (status: Int32, output: String) {
        let directory = try Paths.temporaryDirectory()
        let source = directory.appendingPathComponent("append_only.c").path
        try assertions(for: try layout(version, header: frozen(version)), version: version).write(toFile: source, atomically: true, encoding: .utf8)
        return try compile([source], header: header, output: directory.appendingPathComponent("append_only.o").path, flags: ["-c"])
    }

    @Test(arguments: versions)
    func theCurrentHeaderOnlyAppendsToTheFrozenOne(version: String) throws {
        let frozenLayout = try Self.layout(version, header: Self.frozen(version))
        #expect(frozenLayout.count > 80)
        let result = try Self.checkAgainstFrozen(version, header: Paths.header)
        #expect(result.status == 0, "\(result.output)")
        // Strings cannot be compared by static_assert: compare the dumps.
        let current = Set(try Self.layout(version, header: Paths.header))
        for line in frozenLayout where line.hasPrefix("string ") {
            #expect(current.contains(line), "\(line) changed")
        }
    }

    /// Each frozen minor also holds the next: 1.1 appended to 1.0 only.
    @Test func theFrozen1_1HeaderOnlyAppendsToTheFrozen1_0One() throws {
        let result = try Self.checkAgainstFrozen("1.0", header: Self.frozen("1.1"))
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(arguments: versions)
    func theCheckCatchesAFieldInsertedInTheMiddle(version: String) throws {
        let directory = try Paths.temporaryDirectory()
        let header = try String(contentsOfFile: "\(Paths.header)/orch_plugin.h", encoding: .utf8)
        let broken = header.replacingOccurrences(of: "    orch_bytes text;               /* UTF-8 */",
                                                 with: "    uint64_t inserted;\n    orch_bytes text;               /* UTF-8 */")
        #expect(broken != header)
        try broken.write(to: directory.appendingPathComponent("orch_plugin.h"), atomically: true, encoding: .utf8)
        let result = try Self.checkAgainstFrozen(version, header: directory.path)
        #expect(result.status != 0)
        #expect(result.output.contains("orch_event.text moved from its ABI \(version) offset 64"), "\(result.output)")
    }

    /// docs/plugin-abi.md: a plugin built for a newer minor than the host's is refused, naming both.
    @Test func aPluginBuiltForANewerMinorIsRefused() throws {
        let directory = try Paths.temporaryDirectory()
        let newer = ABI.minor + 1
        let header = try String(contentsOfFile: "\(Paths.header)/orch_plugin.h", encoding: .utf8)
            .replacingOccurrences(of: "#define ORCH_ABI_MINOR \(ABI.minor)", with: "#define ORCH_ABI_MINOR \(newer)")
        try header.write(to: directory.appendingPathComponent("orch_plugin.h"), atomically: true, encoding: .utf8)
        let path = try Self.frozenPlugin(header: directory.path)
        let refusal = PluginLoadError.abiMinorTooNew(path: path, plugin: "FrozenPlugin", pluginABI: "1.\(newer)", hostABI: "1.\(ABI.minor)")
        #expect(throws: refusal) { try PluginLibrary.open(path) }
        #expect(refusal.description == "\(path): plugin FrozenPlugin needs Orch plugin ABI 1.\(newer), newer than this host's 1.\(ABI.minor); upgrade orch or use a plugin built for 1.\(ABI.minor)")
    }

    @Test(arguments: [false, true])
    func bothHeadersCompileCleanly(cxx: Bool) throws {
        for header in Self.versions.map(Self.frozen) + [Paths.header] {
            let output = try Paths.temporaryDirectory().appendingPathComponent("check").path
            let built = try Self.compile(["\(Self.abi)/header_check.c"], header: header, output: output, cxx: cxx)
            #expect(built.status == 0, "\(cxx ? "C++17" : "C11") with \(header): \(built.output)")
            #expect(try run(output, []).status == 0)
        }
    }
}
