/// How `orch chat` decorates text: ANSI colours on a terminal, nothing in a pipe
/// or when NO_COLOR is set.
struct ChatStyle: Sendable, Equatable {
    var colors: Bool

    static let plain = ChatStyle(colors: false)
    static let ansi = ChatStyle(colors: true)

    func dim(_ text: String) -> String { wrap(text, "2") }
    func bold(_ text: String) -> String { wrap(text, "1") }
    func red(_ text: String) -> String { wrap(text, "31") }
    func cyan(_ text: String) -> String { wrap(text, "36") }

    private func wrap(_ text: String, _ code: String) -> String {
        colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
