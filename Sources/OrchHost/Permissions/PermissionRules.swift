import PluginAPI

/// `[permissions]`: what is allowed, asked or denied before anyone is asked, and how long a
/// question waits. Like Claude Code's own settings, a matching `deny` wins over `ask`, and
/// `ask` over `allow`; a use no rule names is asked.
public struct PermissionRules: Sendable, Equatable {
    public var allow: [PermissionRule] = []
    public var ask: [PermissionRule] = []
    public var deny: [PermissionRule] = []
    /// How long a question waits for an answer before it is denied; nil: as long as it takes.
    public var timeout: Duration?

    public init() {}

    public enum Verdict: Sendable, Equatable {
        case allow(PermissionRule)
        case deny(PermissionRule)
        /// Someone must answer; the rule that said so, if one did.
        case ask(PermissionRule?)
    }

    public func verdict(toolName: String, input: JSONValue, workingDir: String?) -> Verdict {
        if toolName == "Bash", let command = input["command"]?.stringValue {
            return verdict(bash: ShellCommand(command), workingDir: workingDir)
        }
        func first(_ rules: [PermissionRule]) -> PermissionRule? {
            rules.first { $0.matches(toolName: toolName, input: input, workingDir: workingDir) }
        }
        if let rule = first(deny) { return .deny(rule) }
        if let rule = first(ask) { return .ask(rule) }
        if let rule = first(allow) { return .allow(rule) }
        return .ask(nil)
    }

    /// A chained command: denied or asked if any of its commands is; allowed by patterns only if
    /// every one of them is (ShellCommand says why).
    private func verdict(bash command: ShellCommand, workingDir: String?) -> Verdict {
        func first(_ rules: [PermissionRule], for text: String) -> PermissionRule? {
            let reading: JSONValue = ["command": .string(text)]
            return rules.first { $0.matches(toolName: "Bash", input: reading, workingDir: workingDir) }
        }
        for text in command.everyReading { if let rule = first(deny, for: text) { return .deny(rule) } }
        for text in command.everyReading { if let rule = first(ask, for: text) { return .ask(rule) } }
        if let whole = allow.first(where: { $0.pattern == nil && Glob.matches($0.tool, "Bash", separator: nil) }) { return .allow(whole) }
        guard !command.hidesCommands else { return .ask(nil) }
        let rules = command.parts.map { first(allow, for: $0) }
        guard let rule = rules.first ?? nil, !rules.contains(where: { $0 == nil }) else { return .ask(nil) }
        return .allow(rule)
    }
}
