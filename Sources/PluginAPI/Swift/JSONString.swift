/// JSON string literals for JSON that Orch renders by hand (the per-token wire
/// messages, the store's records). Every such writer quotes through here, so
/// there is one escaping rule in the codebase.
public enum JSONString {
    /// Appends `string` to `json` as a quoted JSON string: `"`, `\` and the
    /// control characters escaped as JSON requires, plus U+2028 and U+2029,
    /// which JSON allows raw but older JavaScript parsers take for line ends.
    public static func appendQuoted(_ string: String, to json: inout String) {
        json.append("\"")
        let utf8 = string.utf8
        // Copy runs that need no escape whole; runs end only before an ASCII
        // byte or the lead byte of U+2028/2029, so they are whole characters.
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let byte = utf8[index]
            let escape: String?
            var next = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0..<0x20: escape = "\\u00" + hexDigits[Int(byte >> 4)] + hexDigits[Int(byte & 0xF)]
            case 0xE2 where isLineOrParagraphSeparator(utf8, at: index):
                escape = utf8[utf8.index(index, offsetBy: 2)] == 0xA8 ? "\\u2028" : "\\u2029"
                next = utf8.index(index, offsetBy: 3)
            default: escape = nil
            }
            if let escape {
                json.append(contentsOf: string[runStart..<index])
                json.append(escape)
                runStart = next
            }
            index = next
        }
        json.append(contentsOf: string[runStart..<utf8.endIndex])
        json.append("\"")
    }

    private static let hexDigits = "0123456789abcdef".map(String.init)

    /// U+2028 is E2 80 A8 in UTF-8, U+2029 is E2 80 A9; `index` is at the E2.
    private static func isLineOrParagraphSeparator(_ utf8: String.UTF8View, at index: String.Index) -> Bool {
        guard let second = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), second != utf8.endIndex,
              let third = utf8.index(second, offsetBy: 1, limitedBy: utf8.endIndex), third != utf8.endIndex else { return false }
        return utf8[second] == 0x80 && (utf8[third] == 0xA8 || utf8[third] == 0xA9)
    }
}
