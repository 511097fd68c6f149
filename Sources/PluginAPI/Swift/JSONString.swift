import Foundation

/// The one JSON string escaper, for the paths that render JSON by hand
/// (a streamed token, a spliced field) instead of through an encoder.
public enum JSONString {
    /// Appends `string` as a JSON string literal: quotes, backslashes and control
    /// characters escaped, plus U+2028/2029, which break some JavaScript parsers.
    public static func appendQuoted(_ string: String, to json: inout String) {
        json += "\""
        let scalars = string.unicodeScalars
        var start = scalars.startIndex
        var index = start
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let escape: String? = switch scalar {
            case "\"": "\\\""
            case "\\": "\\\\"
            case "\n": "\\n"
            case "\r": "\\r"
            case "\t": "\\t"
            case "\u{2028}": "\\u2028"
            case "\u{2029}": "\\u2029"
            default: scalar.value < 0x20 ? String(format: "\\u%04x", scalar.value) : nil
            }
            if let escape {
                json.unicodeScalars.append(contentsOf: scalars[start..<index])
                json += escape
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        json.unicodeScalars.append(contentsOf: scalars[start..<scalars.endIndex])
        json += "\""
    }

    /// `string` as a JSON string literal.
    public static func quoted(_ string: String) -> String {
        var json = ""
        appendQuoted(string, to: &json)
        return json
    }
}
