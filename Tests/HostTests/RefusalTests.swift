import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// Every way a plugin can be unusable gets its own, specific error — never a crash.
@Suite struct RefusalTests {
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: Logger(label: "test"))

    @Test func abiMajorMismatchIsRefusedNamingFileAndBothVersions() throws {
        let path = try CPlugin.build(["ORCH_TEST_ABI_MAJOR=2"])
        #expect(throws: PluginLoadError.abiMajorMismatch(path: path, plugin: "CTestPlugin", pluginABI: "2.\(ABI.minor)", hostABI: "1.\(ABI.minor)")) {
            try PluginLibrary.open(path)
        }
        let message = PluginLoadError.abiMajorMismatch(path: path, plugin: "CTestPlugin", pluginABI: "2.\(ABI.minor)", hostABI: "1.\(ABI.minor)").description
        #expect(message.contains(path) && message.contains("ABI 2.\(ABI.minor)") && message.contains("ABI 1.\(ABI.minor)"))
    }

    @Test func aPluginForANewerMinorIsRefused() throws {
        let path = try CPlugin.build(["ORCH_TEST_ABI_MINOR=7"])
        #expect(throws: PluginLoadError.abiMinorTooNew(path: path, plugin: "CTestPlugin", pluginABI: "1.7", hostABI: "1.\(ABI.minor)")) {
            try PluginLibrary.open(path)
        }
    }

    @Test func aSwiftPluginFromAnotherToolchainIsRefused() throws {
        let path = try CPlugin.build([#"ORCH_TEST_TOOLCHAIN="swift-5.9""#])
        #expect(throws: PluginLoadError.toolchainMismatch(path: path, plugin: "CTestPlugin", pluginToolchain: "swift-5.9", hostToolchain: ABI.swiftToolchain)) {
            try PluginLibrary.open(path)
        }
    }

    @Test func aLibraryWithoutTheEntrySymbolIsNotAPlugin() throws {
        let path = try CPlugin.build(["ORCH_TEST_NO_ENTRY"])
        #expect(throws: PluginLoadError.missingEntry(path: path)) { try PluginLibrary.open(path) }
    }

    @Test func aPluginThatRefusesTheHostIsReported() throws {
        let path = try CPlugin.build(["ORCH_TEST_REFUSE"])
        #expect(throws: PluginLoadError.refusedHost(path: path)) { try PluginLibrary.open(path) }
    }

    @Test func aRandomFileRenamedSoIsNotALibrary() throws {
        let path = try Paths.temporaryDirectory().appendingPathComponent("libRandom.so").path
        _ = FileManager.default.createFile(atPath: path, contents: Data((0..<4096).map { _ in UInt8.random(in: 0...255) }))
        #expect(throws: PluginLoadError.notALibrary(path: path, reason: "invalid ELF header")) { try PluginLibrary.open(path) }
        let missing = "/nonexistent/libNothing.so"
        #expect(throws: PluginLoadError.notALibrary(path: missing, reason: "no such file")) { try PluginLibrary.open(missing) }
    }

    @Test func aPluginWhoseInitFailsIsReportedWithItsMessage() throws {
        let context = PluginLoader.Context(label: "t", config: Data(#"{"fail":"no database at /x"}"#.utf8), requests: testRequests(), events: Recorder())
        let c = try loader.library(try CPlugin.build(), relativeTo: "/")
        #expect(throws: PluginLoadError.initFailed(plugin: "CTestPlugin", kind: .store, status: .invalid, message: "c-test-plugin: asked to fail: no database at /x")) {
            try loader.makeStore(c, context)
        }
        let swift = try loader.library(Paths.plugin("SwiftEchoPlugin"), relativeTo: "/")
        #expect(throws: PluginLoadError.initFailed(plugin: "SwiftEchoPlugin", kind: .transport, status: .invalid, message: "swift-echo-plugin: asked to fail: no database at /x")) {
            try loader.makeTransport(swift, context)
        }
    }

    @Test func aPluginOfTheWrongKindIsRefused() throws {
        let probe = try loader.library(Paths.plugin("NIOLineProbe"), relativeTo: "/")
        let context = PluginLoader.Context(label: "t", config: Data("{}".utf8), requests: testRequests(), events: Recorder())
        #expect(throws: PluginLoadError.kindNotProvided(path: Paths.plugin("NIOLineProbe"), plugin: "NIOLineProbe", kind: .transport, provides: [.store])) {
            try loader.makeTransport(probe, context)
        }
    }

    @Test func anUnknownPluginNameListsWhereItLooked() throws {
        let locator = PluginLocator(configured: ["plugins"], relativeTo: "/srv/orch", environment: [:])
        #expect(throws: PluginLoadError.notFound(name: "NoSuchStore", searched: ["/srv/orch/plugins", PluginLocator.executableDirectory])) {
            try locator.path(for: "NoSuchStore", relativeTo: "/srv/orch")
        }
    }
}
