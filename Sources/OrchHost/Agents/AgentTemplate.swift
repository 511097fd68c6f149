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

    /// The template called `name` (its front-matter name, or its file name without `.md`). A broken
    /// file is reported when it is the one asked for, and otherwise does not hide the others.
    static func named(_ name: String, in workingDir: String) throws(PluginError) -> AgentTemplate {
        let folder = directory(in: workingDir)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
        var known: [String] = []
        for file in files {
            let fallback = String(file.dropLast(3))
            let template: AgentTemplate
            do { template = try load("\(folder)/\(file)", fallbackName: fallback) } catch {
                if fallback == name { throw error }
                continue
            }
            if template.name == name { return template }
            known.append(template.name)
        }
        throw .notFound("unknown_template", "no agent template is called \"\(name)\"; "
            + (known.isEmpty ? "\(folder) holds no usable template: give a system_prompt instead, or add \(name).md there"
                             : "templates in \(folder): \(known.sorted().joined(separator: ", "))"))
    }

    private static func load(_ path: String, fallbackName: String) throws(PluginError) -> AgentTemplate {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .invalid("bad_template", "\(path) cannot be read as UTF-8 text; fix or remove it")
        }
        return try parse(text, file: path, fallbackName: fallbackName)
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
