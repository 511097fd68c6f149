import Foundation
import PluginAPI

/// A sub-agent definition in the Claude Code format: `.claude/agents/<name>.md` in the
/// orchestrator's working directory, a front matter of `key: value` lines between `---`
/// (name, description, tools, model) and the system prompt as the body.
struct AgentTemplate: Sendable, Equatable {
    var name: String
    var description: String
    /// `tools: Read, Grep, Bash` — nil: every tool the backend allows.
    var tools: [String]?
    var model: String?
    var systemPrompt: String

    static func directory(in workingDir: String) -> String { workingDir + "/.claude/agents" }

    /// The template called `name` (its front-matter name, or its file name without `.md`).
    static func named(_ name: String, in workingDir: String) throws(PluginError) -> AgentTemplate {
        let templates = try all(in: workingDir)
        if let found = templates.first(where: { $0.name == name }) { return found }
        let known = templates.map(\.name).sorted()
        throw .notFound("unknown_template", "no agent template is called \"\(name)\"; "
            + (known.isEmpty ? "\(directory(in: workingDir)) holds none: give a system_prompt instead, or add \(name).md there"
                             : "templates in \(directory(in: workingDir)): \(known.joined(separator: ", "))"))
    }

    static func all(in workingDir: String) throws(PluginError) -> [AgentTemplate] {
        let folder = directory(in: workingDir)
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var templates: [AgentTemplate] = []
        for file in files.sorted() where file.hasSuffix(".md") {
            guard let data = FileManager.default.contents(atPath: "\(folder)/\(file)"), let text = String(data: data, encoding: .utf8) else {
                throw .invalid("bad_template", "\(folder)/\(file) cannot be read as UTF-8 text; fix or remove it")
            }
            templates.append(try parse(text, file: "\(folder)/\(file)", fallbackName: String(file.dropLast(3))))
        }
        return templates
    }

    static func parse(_ text: String, file: String, fallbackName: String) throws(PluginError) -> AgentTemplate {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---",
              let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
            throw .invalid("bad_template", "\(file) has no front matter: start it with a line \"---\", then name:, description:, optional tools: and model:, then \"---\" and the system prompt")
        }
        var fields: [String: String] = [:]
        for (offset, line) in lines[1..<end].enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw .invalid("bad_template", "\(file) line \(offset + 2): \"\(line)\" is not \"key: value\"")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" { value = String(value.dropFirst().dropLast()) }
            fields[key] = value
        }
        let prompt = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !prompt.isEmpty else {
            throw .invalid("bad_template", "\(file) has no system prompt: write it after the closing \"---\"")
        }
        let name = fields["name"].flatMap { $0.isEmpty ? nil : $0 } ?? fallbackName
        let tools = fields["tools"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        let model = fields["model"].flatMap { $0.isEmpty || $0 == "inherit" ? nil : $0 }
        return AgentTemplate(name: name, description: fields["description"] ?? "", tools: tools, model: model, systemPrompt: prompt)
    }
}
