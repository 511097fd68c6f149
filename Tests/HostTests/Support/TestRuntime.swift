import Foundation
import Logging
import OrchHost
import OrchTesting
import PluginAPI
import PostgresCluster
import StoreModel

/// A whole host in-process, built from a config as `orch serve` builds it:
/// real plugins, the real engine, and a recorder on the event bus.
final class TestRuntime: @unchecked Sendable {
    let runtime: OrchRuntime
    let wire: WireRecorder
    /// Kept from the start: `stop` empties the runtime's, and a test may still ask (a message sent
    /// while or after the host stops must be refused, not crash the test process).
    let engine: TurnEngine
    private let storeClient: StoreClient
    private let backend: BackendClient

    var orchestratorID: String { engine.orchestratorID }
    var store: StoreAPI { storeClient.api }

    /// `store` is the `[store]` table body (plugin and options); the backend defaults to the C test plugin.
    static func start(store: String, backend: String? = nil, backendOptions: String = "model = \"test-model\"",
                      sessionID: String? = nil, workingDir: String = "/tmp", replayWindow: Int = 64,
                      transports: String = "", agents: String = "", permissions: String = "") async throws -> TestRuntime {
        let backendPlugin = try backend ?? CPlugin.build()
        let toml = """
        [host]
        plugin_dirs = ["\(Paths.buildDirectory)"]
        replay_window = \(replayWindow)
        [store]
        \(store)
        [backend]
        plugin = "\(backendPlugin)"
        [backend.options]
        \(backendOptions)
        [[transports]]
        plugin = "\(try CPlugin.build())"
        \(transports)
        [agents]
        \(agents)
        [permissions]
        \(permissions)
        """
        let config = try ConfigLoader.parse(toml, file: "test.toml", baseDirectory: "/", environment: [:])
        let runtime = OrchRuntime(config: config, logger: Logger(label: "test"))
        let wire = WireRecorder()
        runtime.bus.subscribe { wire.record($0) }
        try await runtime.start(serving: Launch.Plan(sessionID: sessionID, workingDir: workingDir))
        guard let engine = runtime.engine, let store = runtime.store, let backend = runtime.backend else {
            throw PluginError.internal("the runtime started without an engine, store or backend")
        }
        return TestRuntime(runtime: runtime, wire: wire, engine: engine, store: store, backend: backend)
    }

    private init(runtime: OrchRuntime, wire: WireRecorder, engine: TurnEngine, store: StoreClient, backend: BackendClient) {
        (self.runtime, self.wire, self.engine, self.storeClient, self.backend) = (runtime, wire, engine, store, backend)
    }

    /// A host operation, as a transport would send it.
    func request(_ op: String, _ arguments: [String: JSONValue] = [:]) async throws -> JSONValue {
        var body = arguments
        body["op"] = .string(op)
        return try json(try await runtime.requests.handle(try Request(json: try JSON.encode(body)), from: "test"))
    }

    func send(_ message: String, wait: Bool = false) async throws -> JSONValue {
        try await request("send_chat", ["orchestrator_agent_id": .string(orchestratorID), "message": .string(message), "wait": .bool(wait)])
    }

    func backendRequest(_ op: String) async throws -> JSONValue {
        try json(try await backend.request(try JSON.encode(["op": op])))
    }

    func stop() async { await runtime.shutdown() }
}

/// Every wire message the bus published, parsed.
final class WireRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [JSONValue] = []

    func record(_ event: Event) {
        let parsed = (try? json(event.json)) ?? .null
        lock.withLock { recorded.append(parsed) }
    }

    var messages: [JSONValue] { lock.withLock { recorded } }
    var types: [String] { messages.compactMap { $0["type"]?.stringValue } }

    func of(type: String) -> [JSONValue] { messages.filter { $0["type"]?.stringValue == type } }
}

/// A throwaway PostgreSQL server with one database, and the `[store]` body for it
/// (a small pool and a statement timeout, so an outage shows quickly); removed after `body`.
func withPostgresStore(_ database: String, _ body: (PostgresCluster, String) async throws -> Void) async throws {
    let cluster = try PostgresCluster.start(settings: ["fsync=off"])
    defer { cluster.destroy() }
    try cluster.createDatabase(database)
    let store = """
    plugin = "PostgresStore"
    [store.options]
    url = "\(cluster.url(database: database))"
    pool_size = 2
    statement_timeout_ms = 5000
    """
    try await body(cluster, store)
}

func sqliteStore() throws -> String {
    let path = try Paths.temporaryDirectory().appendingPathComponent("orch.sqlite").path
    return "plugin = \"SQLiteStore\"\n[store.options]\npath = \"\(path)\""
}
