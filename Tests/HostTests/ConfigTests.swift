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

    @Test func theTeamTableHasDefaultsAndRefusesBadValuesByName() throws {
        let defaults = try parse(Self.valid).agents
        #expect(defaults.maxRunning == 4 && defaults.maxAgents == 20 && defaults.budgetUSD == nil && defaults.notifyOrchestrator
                && defaults.stopGraceMilliseconds == 2000 && defaults.model == nil && defaults.backend == nil)
        let team = try parse(Self.valid + """

            [agents]
            max_running = 2
            budget_usd = 12.5
            notify_orchestrator = false
            model = "claude-haiku-4-5"
            [agents.backend]
            plugin = "ClaudeBackend"
            [agents.backend.options]
            idle_timeout_s = 60
            """)
        #expect(team.agents.maxRunning == 2 && team.agents.budgetUSD == 12.5 && !team.agents.notifyOrchestrator)
        #expect(team.agents.backend?.plugin == "ClaudeBackend" && team.agents.backend?.options["idle_timeout_s"] == 60)
        #expect(team.plugins.count == 5, "the agents' backend is loaded as a plugin of its own")
        let mistakes: [(String, String, String)] = [
            ("max_running = 0", "agents.max_running", "must be a positive integer, got 0"),
            ("budget_usd = \"ten\"", "agents.budget_usd", "must be a positive number of US dollars, got a string; leave it out for no team budget"),
            ("notify_orchestrator = 1", "agents.notify_orchestrator", "expected true or false, found an integer"),
            ("model = \" \"", "agents.model", "is empty; name a model or leave the key out"),
            ("max_agent = 3", "agents.max_agent", "unknown key; valid keys here are max_running, max_agents, budget_usd, notify_orchestrator, stop_grace_ms, model, backend"),
        ]
        for (line, key, message) in mistakes {
            #expect(throws: ConfigError(file: "orch.toml", line: 24, key: key, message), "\(line)") {
                try parse(Self.valid + "\n[agents]\n" + line + "\n")
            }
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
