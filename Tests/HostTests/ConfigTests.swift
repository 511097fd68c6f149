import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

@Suite struct ConfigTests {
    static let valid = """
    [host]
    plugin_dirs = [".build/debug"]
    working_dir = "."

    [store]
    plugin = "SQLiteStore"
    [store.options]
    path = "${ORCH_DATA:-.orch}/orch.sqlite"

    [backend]
    plugin = "ClaudeBackend"
    [backend.options]
    model = "claude-sonnet-4-5"
    env = { ANTHROPIC_API_KEY = "${KEY}" }

    [[transports]]
    plugin = "WebSocketTransport"
    [transports.options]
    listen = "127.0.0.1:9403"

    [[transports]]
    plugin = "/opt/plugins/libUnixSocketTransport.so"
    """

    func parse(_ text: String, environment: [String: String] = ["KEY": "sk-test"]) throws(ConfigError) -> OrchConfig {
        try ConfigLoader.parse(text, file: "orch.toml", baseDirectory: "/srv", environment: environment)
    }

    @Test func aValidConfigBecomesPluginChoicesWithJSONOptions() throws {
        let config = try parse(Self.valid)
        #expect(config.host.pluginDirs == [".build/debug"])
        #expect(config.store.plugin == "SQLiteStore")
        #expect(config.store.options == .object(["path": .string(".orch/orch.sqlite")]))
        #expect(config.backend.options["env"]?["ANTHROPIC_API_KEY"] == .string("sk-test"))
        #expect(config.transports.map(\.plugin) == ["WebSocketTransport", "/opt/plugins/libUnixSocketTransport.so"])
        #expect(config.transports[0].options == .object(["listen": .string("127.0.0.1:9403")]))
        #expect(config.transports[1].line == 21)
        #expect(try parse(Self.valid, environment: ["KEY": "k", "ORCH_DATA": "/data"]).store.options["path"] == .string("/data/orch.sqlite"))
    }

    @Test func malformedTOMLNamesTheLine() {
        #expect(throws: ConfigError(file: "orch.toml", line: 3, key: nil, "malformed TOML: Error while parsing key-value pair: encountered end-of-file")) {
            try parse("[store]\nplugin = \"A\"\nbroken =")
        }
    }

    @Test func anUnsetVariableNamesLineAndKey() {
        #expect(throws: ConfigError(file: "orch.toml", line: 14, key: "backend.options.env.ANTHROPIC_API_KEY",
                                    "environment variable KEY is not set; export it, or write ${KEY:-default}")) {
            try parse(Self.valid, environment: [:])
        }
    }

    @Test func unknownKeysAndWrongTypesNameLineAndKey() {
        #expect(throws: ConfigError(file: "orch.toml", line: 3, key: "host.plugin_dir",
                                    "unknown key; valid keys here are plugin_dirs, working_dir, replay_window, max_message_bytes, log_level")) {
            try parse(Self.valid.replacingOccurrences(of: "working_dir = \".\"", with: "plugin_dir = \".\""))
        }
        #expect(throws: ConfigError(file: "orch.toml", line: 6, key: "store.plugin", "expected a string, found an integer")) {
            try parse(Self.valid.replacingOccurrences(of: "plugin = \"SQLiteStore\"", with: "plugin = 7"))
        }
        #expect(throws: ConfigError(file: "orch.toml", line: 3, key: "host.replay_window", "must be a positive integer, got -1")) {
            try parse("[host]\nworking_dir = \".\"\nreplay_window = -1\n")
        }
    }

    @Test func missingSectionsSayWhatToAdd() {
        #expect(throws: ConfigError(file: "orch.toml", line: nil, key: "store", "missing; add a [store] table with plugin = \"<name or path>\"")) {
            try parse("[backend]\nplugin = \"B\"\n")
        }
        #expect(throws: ConfigError(file: "orch.toml", line: nil, key: "transports", "missing; add at least one [[transports]] table with plugin = \"<name or path>\"")) {
            try parse("[store]\nplugin = \"A\"\n[backend]\nplugin = \"B\"\n")
        }
    }

    @Test func theShippedConfigIsValid() throws {
        let config = try ConfigLoader.load(file: "\(Paths.repository)/config/orch.toml")
        #expect(!config.transports.isEmpty)
    }
}
