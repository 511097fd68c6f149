import Foundation
import PluginAPI

/// `config/orch.toml`, validated. Every key is documented in docs/configuration.md.
public struct OrchConfig: Sendable {
    /// The `[host]` table.
    public struct HostSection: Sendable {
        /// Where plugins named by name are looked for, before $ORCH_PLUGIN_PATH and the executable's directory.
        public var pluginDirs: [String] = []
        /// The agent's working directory; `--cwd` overrides it.
        public var workingDir: String?
        /// How many recent events per orchestrator the host keeps for `resume`.
        public var replayWindow: Int = 4096
        /// The largest chat message accepted, in bytes of UTF-8.
        public var maxMessageBytes: Int = 100_000
        /// trace, debug, info, notice, warning, error or critical.
        public var logLevel: String = "info"
    }

    /// The `[agents]` table: the orchestrator's team of sub-agents (docs/agents.md).
    public struct AgentsSection: Sendable {
        /// How many agent commands run at once; the rest wait in order.
        public var maxRunning: Int = 4
        /// How many live (not deleted) agents one orchestrator may have.
        public var maxAgents: Int = 20
        /// The whole team's spend limit in US dollars (agents only); nil: none.
        public var budgetUSD: Double?
        /// Start an orchestrator turn when an agent's command ends.
        public var notifyOrchestrator: Bool = true
        /// How long a stopping agent's process gets after stdin closes, and again after SIGTERM.
        public var stopGraceMilliseconds: Int = 2000
        /// The model of agents that name none; nil: the agents' backend's `model` option.
        public var model: String?
        /// `[agents.backend]`: a backend of their own; nil: the orchestrator's instance.
        public var backend: PluginChoice?
    }

    /// A `[store]`, `[backend]` or `[[transports]]` entry: which plugin, with which options.
    public struct PluginChoice: Sendable {
        public var plugin: String
        /// The `options` table as a JSON object, `${ENV}` already substituted.
        public var options: JSONValue
        /// Where the entry is, for error messages: `store`, `transports[1]`, ...
        public var key: String
        public var line: Int?

        public var optionsJSON: Data { (try? JSON.encode(options)) ?? emptyJSONObject }
    }

    public var file: String
    /// The directory holding the config file; relative paths in it are relative to this.
    public var baseDirectory: String
    public var host = HostSection()
    public var store: PluginChoice
    public var backend: PluginChoice
    public var transports: [PluginChoice]
    public var agents = AgentsSection()
    /// `[permissions]`: rules and the answer timeout for backends that ask (`permission_policy = "ask"`).
    public var permissions = PermissionRules()

    public var plugins: [(kind: PluginKind, choice: PluginChoice)] {
        [(PluginKind.store, store), (.backend, backend)] + transports.map { (PluginKind.transport, $0) }
            + (agents.backend.map { [(PluginKind.backend, $0)] } ?? [])
    }
}
