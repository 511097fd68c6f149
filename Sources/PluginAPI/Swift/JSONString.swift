/// JSON string literals for JSON that Orch renders by hand (the per-token wire
/// messages, the store's records). Every such writer quotes through here, so
/// there is one escaping rule in the codebase: `"`, `\` and the control
/// characters escaped as JSON requires, plus U+2028 and U+2029, which JSON
/// allows raw but older JavaScript parsers take for line ends.
public enum JSONString {
    /// Appends `string` as a quoted JSON string to UTF-8 `bytes` (the store's `JSONWriter`).
    public static func appendQuoted(_ string: String, to bytes: inout [UInt8]) {
        var string = string
        bytes.append(UInt8(ascii: "\""))
        string.withUTF8 { utf8 in
            // Most strings need no escape: one scan, then one copy.
            if utf8.contains(where: mayNeedEscape) { appendEscaped(utf8, to: &bytes) } else { bytes.append(contentsOf: utf8) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `string` as a quoted JSON string to `json` (the wire messages).
    public static func appendQuoted(_ string: String, to json: inout String) {
        var string = string
        if string.withUTF8({ !$0.contains(where: mayNeedEscape) }) {
            json.append("\"")
            json.append(string)
            json.append("\"")
        } else {
            var bytes: [UInt8] = []
            appendQuoted(string, to: &bytes)
            json.append(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The bytes that start an escape: ASCII controls, `"`, `\`, and the lead byte of U+2028/2029.
    private static func mayNeedEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0xE2
    }

    private static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            // U+2028 is E2 80 A8 in UTF-8, U+2029 is E2 80 A9.
            case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                bytes.append(contentsOf: (utf8[index + 2] == 0xA8 ? #"\u2028"# : #"\u2029"#).utf8)
                index += 2
            default: bytes.append(byte)
            }
            index += 1
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
