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
        func first(_ rules: [PermissionRule]) -> PermissionRule? {
            rules.first { $0.matches(toolName: toolName, input: input, workingDir: workingDir) }
        }
        if let rule = first(deny) { return .deny(rule) }
        if let rule = first(ask) { return .ask(rule) }
        if let rule = first(allow) { return .allow(rule) }
        return .ask(nil)
    }
}
