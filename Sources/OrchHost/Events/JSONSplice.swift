import Foundation

/// Adds a member to a JSON object that is already encoded, without decoding
/// it: how the host adds what it owns (`seq`, a timestamp) to JSON that a
/// store or an encoder produced.
enum JSONSplice {
    /// `member` (`"key":value`) as the first member of the object in `json`.
    static func prepending(_ member: String, to json: Data) -> Data {
        var spliced = Data(("{" + member).utf8)
        guard let open = json.firstIndex(of: UInt8(ascii: "{")) else {
            spliced.append(UInt8(ascii: "}"))
            return spliced
        }
        let rest = json[json.index(after: open)...]
        if let first = rest.first(where: { !isWhitespace($0) }), first != UInt8(ascii: "}") {
            spliced.append(UInt8(ascii: ","))
        }
        spliced.append(contentsOf: rest)
        return spliced
    }

    /// `member` as the last member of the object in `json`.
    static func appending(_ member: String, to json: inout Data) {
        guard let close = json.lastIndex(of: UInt8(ascii: "}")) else { return }
        let empty = json[..<close].last(where: { !isWhitespace($0) }) == UInt8(ascii: "{")
        json.insert(contentsOf: Array(((empty ? "" : ",") + member).utf8), at: close)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
