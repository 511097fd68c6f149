import Foundation
import PluginAPI
import TOMLKit

/// Reads and validates `orch.toml`. Fails before anything is loaded, naming file, line and key.
public enum ConfigLoader {
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> OrchConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, line: nil, key: nil, "cannot read the config file; pass an existing file with --config")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file, line: nil, key: nil, "the config file is not valid UTF-8")
        }
        let base = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        return try parse(text, file: file, baseDirectory: base, environment: environment)
    }

    public static func parse(_ text: String, file: String, baseDirectory: String, environment: [String: String]) throws(ConfigError) -> OrchConfig {
        let (reader, root) = try read(text, file: file, environment: environment)
        return try reader.config(root, baseDirectory: baseDirectory)
    }

    /// Only the `[host]` table, for commands that need no plugins (`orch plugins`).
    public static func loadHostSection(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> (host: OrchConfig.HostSection, baseDirectory: String) {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file, line: nil, key: nil, "cannot read the config file as UTF-8 text; pass an existing file with --config")
        }
        let (reader, root) = try read(text, file: file, environment: environment)
        let top = try reader.object(root, key: "", allowed: ["host", "store", "backend", "transports", "agents", "permissions"])
        return (try reader.hostSection(top["host"]), URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path)
    }

    static func read(_ text: String, file: String, environment: [String: String]) throws(ConfigError) -> (Reader, JSONValue) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: nil, "malformed TOML: \(error.description)")
        } catch {
            throw ConfigError(file: file, line: nil, key: nil, "malformed TOML: \(error)")
        }
        let reader = Reader(file: file, map: TOMLSourceMap(text: text), environment: environment)
        return (reader, try reader.value(table, key: ""))
    }

    /// Walks the parsed document with the source map at hand for error locations.
    struct Reader {
        let file: String
        let map: TOMLSourceMap
        let environment: [String: String]

        func error(_ key: String, _ message: String) -> ConfigError {
            ConfigError(file: file, line: map.line(of: key), key: key.isEmpty ? nil : key, message)
        }

        /// TOML to JSON, substituting `${VAR}` and `${VAR:-default}` in strings.
        func value(_ node: any TOMLValueConvertible, key: String) throws(ConfigError) -> JSONValue {
            if let table = node.table {
                var object: [String: JSONValue] = [:]
                for (name, child) in table {
                    object[name] = try value(child, key: key.isEmpty ? name : "\(key).\(name)")
                }
                return .object(object)
            }
            if let array = node.array {
                var items: [JSONValue] = []
                for (index, child) in array.enumerated() { items.append(try value(child, key: "\(key)[\(index)]")) }
                return .array(items)
            }
            if let string = node.string { return .string(try substitute(string, key: key)) }
            if let bool = node.bool { return .bool(bool) }
            if let int = node.int { return .int(Int64(int)) }
            if let double = node.double { return .double(double) }
            // Dates and times have no JSON form; plugins receive their TOML text.
            return .string(node.debugDescription)
        }

        func substitute(_ string: String, key: String) throws(ConfigError) -> String {
            guard string.contains("${") else { return string }
            var result = ""
            var rest = Substring(string)
            while let start = rest.range(of: "${") {
                result += rest[..<start.lowerBound]
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                    throw error(key, "unterminated ${ in \"\(string)\"; write ${NAME} or ${NAME:-default}")
                }
                let expression = rest[start.upperBound..<end]
                let name: Substring, fallback: Substring?
                if let dash = expression.range(of: ":-") {
                    name = expression[..<dash.lowerBound]
                    fallback = expression[dash.upperBound...]
                } else {
                    name = expression
                    fallback = nil
                }
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw error(key, "\"${\(expression)}\" is not a valid variable reference; write ${NAME} or ${NAME:-default}")
                }
                if let value = environment[String(name)], !value.isEmpty {
                    result += value
                } else if let fallback {
                    result += fallback
                } else {
                    throw error(key, "environment variable \(name) is not set; export it, or write ${\(name):-default}")
                }
                rest = rest[rest.index(after: end)...]
            }
            return result + rest
        }

        func object(_ value: JSONValue?, key: String, allowed: [String]) throws(ConfigError) -> [String: JSONValue] {
            guard case .object(let object) = value else {
                throw error(key, "expected a table, found \(value?.typeName ?? "nothing")")
            }
            for name in object.keys.sorted() where !allowed.contains(name) {
                throw error(key.isEmpty ? name : "\(key).\(name)",
                            "unknown key; valid keys here are \(allowed.joined(separator: ", "))")
            }
            return object
        }

        func string(_ value: JSONValue?, key: String) throws(ConfigError) -> String? {
            guard let value else { return nil }
            guard case .string(let string) = value else { throw error(key, "expected a string, found \(value.typeName)") }
            return string
        }

        func positiveInt(_ value: JSONValue?, key: String) throws(ConfigError) -> Int? {
            guard let value else { return nil }
            guard case .int(let int) = value else { throw error(key, "expected a positive integer, found \(value.typeName)") }
            guard int > 0 else { throw error(key, "must be a positive integer, got \(int)") }
            return Int(int)
        }

        func choice(_ value: JSONValue?, key: String) throws(ConfigError) -> OrchConfig.PluginChoice {
            guard value != nil else {
                throw error(key, "missing; add a [\(key)] table with plugin = \"<name or path>\"")
            }
            let table = try object(value, key: key, allowed: ["plugin", "options"])
            guard let plugin = try string(table["plugin"], key: "\(key).plugin"), !plugin.isEmpty else {
                throw error("\(key).plugin", "missing; name the plugin (e.g. \"SQLiteStore\") or give the path of its .so")
            }
            let options = table["options"] ?? .object([:])
            guard case .object = options else {
                throw error("\(key).options", "expected a table, found \(options.typeName)")
            }
            return .init(plugin: plugin, options: options, key: key, line: map.line(of: key))
        }

        func config(_ root: JSONValue, baseDirectory: String) throws(ConfigError) -> OrchConfig {
            let top = try object(root, key: "", allowed: ["host", "store", "backend", "transports", "agents", "permissions"])
            let host = try hostSection(top["host"])
            let store = try choice(top["store"], key: "store")
            let backend = try choice(top["backend"], key: "backend")
            if let value = top["transports"], case .object = value {
                throw error("transports", "write [[transports]] (an array of tables, one per transport), not [transports]")
            }
            guard case .array(let entries)? = top["transports"], !entries.isEmpty else {
                throw error("transports", "missing; add at least one [[transports]] table with plugin = \"<name or path>\"")
            }
            var transports: [OrchConfig.PluginChoice] = []
            for index in entries.indices {
                transports.append(try choice(entries[index], key: "transports[\(index)]"))
            }
            var config = OrchConfig(file: file, baseDirectory: baseDirectory, host: host, store: store, backend: backend, transports: transports)
            config.agents = try agentsSection(top["agents"])
            config.permissions = try permissionsSection(top["permissions"])
            return config
        }

        func permissionsSection(_ section: JSONValue?) throws(ConfigError) -> PermissionRules {
            var rules = PermissionRules()
            guard let section else { return rules }
            let table = try object(section, key: "permissions", allowed: ["allow", "ask", "deny", "timeout_s"])
            func list(_ name: String) throws(ConfigError) -> [PermissionRule] {
                guard let value = table[name] else { return [] }
                guard case .array(let items) = value else {
                    throw error("permissions.\(name)", "expected an array of rules such as [\"Bash(git status*)\", \"Read\"], found \(value.typeName)")
                }
                var parsed: [PermissionRule] = []
                for (index, item) in items.enumerated() {
                    let key = "permissions.\(name)[\(index)]"
                    guard let text = try string(item, key: key) else { continue }
                    do { parsed.append(try PermissionRule(parsing: text)) } catch { throw self.error(key, error.message) }
                }
                return parsed
            }
            (rules.allow, rules.ask, rules.deny) = (try list("allow"), try list("ask"), try list("deny"))
            if let timeout = table["timeout_s"] {
                guard let seconds = timeout.doubleValue, seconds >= 0, seconds.isFinite else {
                    throw error("permissions.timeout_s", "must be a number of seconds (0 waits as long as it takes), got \(timeout.doubleValue.map { "\($0)" } ?? timeout.typeName)")
                }
                rules.timeout = seconds == 0 ? nil : .milliseconds(Int64(seconds * 1000))
            }
            return rules
        }

        func agentsSection(_ section: JSONValue?) throws(ConfigError) -> OrchConfig.AgentsSection {
            var agents = OrchConfig.AgentsSection()
            guard let section else { return agents }
            let table = try object(section, key: "agents", allowed: [
                "max_running", "max_agents", "budget_usd", "notify_orchestrator", "stop_grace_ms", "model", "backend",
            ])
            agents.maxRunning = try positiveInt(table["max_running"], key: "agents.max_running") ?? agents.maxRunning
            agents.maxAgents = try positiveInt(table["max_agents"], key: "agents.max_agents") ?? agents.maxAgents
            agents.stopGraceMilliseconds = try positiveInt(table["stop_grace_ms"], key: "agents.stop_grace_ms") ?? agents.stopGraceMilliseconds
            if let budget = table["budget_usd"] {
                guard let dollars = budget.doubleValue, dollars > 0, dollars.isFinite else {
                    let got = budget.doubleValue.map { "\($0)" } ?? budget.typeName
                    throw error("agents.budget_usd", "must be a positive number of US dollars, got \(got); leave it out for no team budget")
                }
                agents.budgetUSD = dollars
            }
            if let notify = table["notify_orchestrator"] {
                guard case .bool(let flag) = notify else { throw error("agents.notify_orchestrator", "expected true or false, found \(notify.typeName)") }
                agents.notifyOrchestrator = flag
            }
            if let model = try string(table["model"], key: "agents.model") {
                guard !model.trimmingCharacters(in: .whitespaces).isEmpty else { throw error("agents.model", "is empty; name a model or leave the key out") }
                agents.model = model
            }
            if table["backend"] != nil { agents.backend = try choice(table["backend"], key: "agents.backend") }
            return agents
        }

        func hostSection(_ section: JSONValue?) throws(ConfigError) -> OrchConfig.HostSection {
            var host = OrchConfig.HostSection()
            guard let section else { return host }
            let table = try object(section, key: "host", allowed: ["plugin_dirs", "working_dir", "replay_window", "max_message_bytes", "log_level"])
            if let dirs = table["plugin_dirs"] {
                guard case .array(let items) = dirs else { throw error("host.plugin_dirs", "expected an array of strings, found \(dirs.typeName)") }
                for (index, item) in items.enumerated() {
                    host.pluginDirs.append(try string(item, key: "host.plugin_dirs[\(index)]")!)
                }
            }
            host.workingDir = try string(table["working_dir"], key: "host.working_dir")
            host.replayWindow = try positiveInt(table["replay_window"], key: "host.replay_window") ?? host.replayWindow
            host.maxMessageBytes = try positiveInt(table["max_message_bytes"], key: "host.max_message_bytes") ?? host.maxMessageBytes
            if let level = try string(table["log_level"], key: "host.log_level") {
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                guard levels.contains(level) else { throw error("host.log_level", "\"\(level)\" is not a level; use one of \(levels.joined(separator: ", "))") }
                host.logLevel = level
            }
            return host
        }
    }
}
