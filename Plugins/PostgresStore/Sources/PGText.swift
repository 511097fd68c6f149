/// PostgreSQL `text` cannot hold U+0000, and libpq passes parameters as
/// NUL-terminated strings, so a message with a NUL would be cut there or
/// refused. Every text crossing libpq is escaped on the way in and unescaped on
/// the way out, with U+E000 (a private-use character) as the escape:
/// U+0000 ↔ U+E000 "0", U+E000 ↔ U+E000 U+E000. Text holding neither — all ids,
/// timestamps and nearly every message — passes unchanged, after one byte scan.
enum PGText {
    private static let escape: Unicode.Scalar = "\u{E000}"
    private static let nul: Unicode.Scalar = "\u{0}"

    static func escaped(_ text: String) -> String {
        guard mayHold(text, [0x00, 0xEE]) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case nul: out.append(escape); out.append("0")
            case escape: out.append(escape); out.append(escape)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func unescaped(_ text: String) -> String {
        guard mayHold(text, [0xEE]) else { return text }
        var out = String.UnicodeScalarView()
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == escape else { out.append(scalar); continue }
            switch iterator.next() {
            case "0": out.append(nul)
            case let next?: out.append(next)  // U+E000 U+E000, or a stray escape: keep what follows
            case nil: out.append(escape)
            }
        }
        return String(out)
    }

    /// Whether the UTF-8 holds one of `leads` (0x00 for U+0000, 0xEE for the escape's first byte).
    private static func mayHold(_ text: String, _ leads: [UInt8]) -> Bool {
        text.utf8.contains { leads.contains($0) }
    }
}
