import Foundation
import PluginAPI

/// One entry of `[permissions] allow | ask | deny`, written as Claude Code writes its own
/// permission rules: `Tool` (every use) or `Tool(pattern)`. The pattern is matched against
/// what the tool acts on: Bash's command, a file tool's path, a fetch's URL, else the input
/// as JSON. `*` matches any run of characters (within one path segment for a path); `**`
/// matches across segments. `Edit(src/**)` matches `src/a/b.swift` and `<working dir>/src/a/b.swift`.
public struct PermissionRule: Sendable, Equatable, CustomStringConvertible {
    public let tool: String
    public let pattern: String?

    public var description: String { pattern.map { "\(tool)(\($0))" } ?? tool }

    /// The tools whose subject is a file path, and the input field that holds it.
    static let pathFields: [String: String] = [
        "Read": "file_path", "Edit": "file_path", "MultiEdit": "file_path", "Write": "file_path", "NotebookEdit": "notebook_path",
        "Glob": "path", "Grep": "path", "LS": "path",
    ]

    /// Why a rule's text is not a rule, in words for the config error.
    public struct Invalid: Error, Equatable {
        public let message: String
    }

    /// Parses `Tool` or `Tool(pattern)`.
    public init(parsing text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.firstIndex(of: "(") else {
            guard Self.isToolName(trimmed) else { throw Self.invalid(text) }
            (tool, pattern) = (trimmed, nil)
            return
        }
        let name = String(trimmed[..<open])
        guard trimmed.hasSuffix(")"), Self.isToolName(name) else { throw Self.invalid(text) }
        let inner = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        guard !inner.isEmpty else {
            throw Invalid(message: "\"\(text)\" has an empty pattern; write \(name) to match every use, or \(name)(pattern)")
        }
        (tool, pattern) = (name, inner)
    }

    /// Whether a use of `toolName` with `input` is one this rule speaks about.
    public func matches(toolName: String, input: JSONValue, workingDir: String?) -> Bool {
        guard Glob.matches(tool, toolName, separator: nil) else { return false }
        guard let pattern else { return true }
        if let field = Self.pathFields[toolName] {
            guard let path = input[field]?.stringValue else { return false }
            if Glob.matches(pattern, path, separator: "/") { return true }
            // A pattern relative to the working directory also matches the absolute path the CLI sends.
            if let workingDir, path.hasPrefix(workingDir.hasSuffix("/") ? workingDir : workingDir + "/") {
                let relative = String(path.dropFirst(workingDir.hasSuffix("/") ? workingDir.count : workingDir.count + 1))
                return Glob.matches(pattern, relative, separator: "/")
            }
            return false
        }
        return Glob.matches(pattern, Self.subject(of: toolName, input: input), separator: nil)
    }

    /// What a pattern of a non-file tool is matched against.
    static func subject(of toolName: String, input: JSONValue) -> String {
        if toolName == "Bash", let command = input["command"]?.stringValue { return command }
        if let url = input["url"]?.stringValue { return url }
        return (try? String(decoding: JSONEncoder.sorted.encode(input), as: UTF8.self)) ?? ""
    }

    private static func isToolName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "*" }
    }

    private static func invalid(_ text: String) -> Invalid {
        Invalid(message: "\"\(text)\" is not a permission rule; write a tool name (Bash, Edit, mcp__orch__create_agent) or Tool(pattern), e.g. Bash(git status*) or Edit(src/**)")
    }
}

/// `*` and `**` globbing, iterative (no backtracking blow-up on long commands).
enum Glob {
    /// With a `separator`, `*` stops at it and `**` does not; without one, both match anything.
    static func matches(_ pattern: String, _ text: String, separator: Character?) -> Bool {
        let p = Array(pattern), t = Array(text)
        var (pi, ti) = (0, 0)
        var star: (pattern: Int, text: Int, crosses: Bool)?
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                let double = pi + 1 < p.count && p[pi + 1] == "*"
                star = (pi + (double ? 2 : 1), ti, double || separator == nil)
                pi += double ? 2 : 1
            } else if pi < p.count, p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if let last = star, last.crosses || t[last.text] != separator {
                star = (last.pattern, last.text + 1, last.crosses)
                (pi, ti) = (last.pattern, last.text + 1)
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension JSONEncoder {
    /// Keys sorted: the same input is the same text for a pattern every time.
    static let sorted: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
