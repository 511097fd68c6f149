/// A Bash command as the permission rules see it: the simple commands it chains.
///
/// `Bash(git status*)` must not allow `git status && rm -rf ~`, so an allow rule has to match
/// every chained command, and a deny or ask rule matching any one of them applies. Quotes are
/// not parsed: splitting inside a quoted string only makes more pieces, which can only make an
/// allow stricter and a deny broader. A command that runs other commands out of sight of the
/// patterns (`$(…)`, backticks, process substitution) or writes files by redirection is never
/// allowed by a pattern; only a rule naming the whole tool (`Bash`) allows it.
struct ShellCommand {
    let text: String
    /// The chained commands, trimmed, in order.
    let parts: [String]
    let hidesCommands: Bool

    init(_ text: String) {
        self.text = text
        var parts: [String] = []
        var current = ""
        var characters = text[...]
        while let character = characters.first {
            characters = characters.dropFirst()
            if Self.separators.contains(character) {
                parts.append(current)
                current = ""
                // `&&` and `||` are one separator.
                if character == "&" || character == "|", characters.first == character { characters = characters.dropFirst() }
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        self.parts = parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        hidesCommands = text.contains("$(") || text.contains("`") || text.contains("<(") || text.contains(">")
    }

    private static let separators: Set<Character> = [";", "&", "|", "\n", "\r"]

    /// What a deny or ask rule is matched against: the whole command and each chained one.
    var everyReading: [String] { parts.count == 1 && parts[0] == text ? [text] : [text] + parts }
}
