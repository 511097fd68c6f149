import Foundation
import OrchHost
import PluginAPI
import StoreModel
import Testing

/// `orch.store.diagnostics/1` is optional: a store that leaves it out still
/// serves `orch.store/1`, and asking it for diagnostics is a clear refusal.
@Suite struct StoreDiagnosticsInterfaceTests {
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: quietLogger)

    @Test func aStoreWithoutDiagnosticsStillServesAndRefusesThemByName() async throws {
        // SwiftEchoPlugin's store implements orch.store/1 only.
        let store = try loader.makeStore(try loader.library("SwiftEchoPlugin", relativeTo: "/"),
                                         .init(label: "EchoStore", config: Data("{}".utf8), requests: HostRequests(), events: IgnoredEvents()))
        #expect(store.providesDiagnostics == false)
        let echo = Data(#"{"op":"echo"}"#.utf8)
        #expect(try await store.request(echo) == echo)
        let refusal = PluginError.unsupported(
            "EchoStore does not provide orch.store.diagnostics/1, which is optional: the store serves orch, but the tests and benchmarks that need diagnostics cannot run against it")
        await expectError(refusal) { _ = try await store.diagnostics.rowCounts() }
        await expectError(refusal) { _ = try await store.diagnosticsRequest(Data(#"{"op":"row_counts"}"#.utf8)) }
        await store.ref.destroy()
    }
}
