import Foundation

/// The top-level members of a JSON object that is already encoded, found by one
/// scan of its bytes without decoding them: how a reply travels from a store to an
/// HTTP body with only the members the host or a transport owns added (a history
/// of a thousand messages is never turned into a tree and back).
///
/// The scan checks the structure (strings, nesting, separators), not every token:
/// the bytes come from a plugin that promised JSON, and a reply that is not an
/// object at all is refused.
public struct JSONMembers: Sendable {
    public struct Member: Sendable {
        /// The key as written between its quotes (escapes are not decoded: keys here are plain names).
        public let key: String
        /// Where the member starts (its opening quote) and where its value is, in `bytes`.
        public let start: Int
        public let value: Range<Int>
    }

    public let bytes: [UInt8]
    public let members: [Member]
    /// The index of the object's closing brace.
    public let end: Int

    /// nil when `json` is not one JSON object.
    public init?(_ json: some Collection<UInt8>) {
        let bytes = Array(json)
        var scanner = Scanner(bytes: bytes)
        guard let (members, end) = scanner.object() else { return nil }
        self.bytes = bytes
        self.members = members
        self.end = end
    }

    /// The value of `key`, as bytes.
    public func value(_ key: String) -> ArraySlice<UInt8>? {
        members.first { $0.key == key }.map { bytes[$0.value] }
    }

    /// The object with `"key":value` (`value` already JSON) placed before the first member whose key sorts after
    /// `key`: in an object whose keys are sorted, as `JSON.encode` writes them, the result is what it would write.
    public func inserting(_ key: String, _ value: String) -> [UInt8] {
        var member: [UInt8] = []
        JSONString.appendQuoted(key, to: &member)
        member.append(UInt8(ascii: ":"))
        member.append(contentsOf: value.utf8)
        guard let next = members.first(where: { $0.key > key }) else {
            var result = Array(bytes[..<end])
            if !members.isEmpty { result.append(UInt8(ascii: ",")) }
            result += member
            result += bytes[end...]
            return result
        }
        return Array(bytes[..<next.start]) + member + [UInt8(ascii: ",")] + bytes[next.start...]
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func object() -> ([Member], Int)? {
            skipSpace()
            guard consume(UInt8(ascii: "{")) else { return nil }
            var members: [Member] = []
            skipSpace()
            if consume(UInt8(ascii: "}")) { return finish(members) }
            while true {
                skipSpace()
                let start = index
                guard let key = string() else { return nil }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                let valueStart = index
                guard skipValue() else { return nil }
                var valueEnd = index
                while valueEnd > valueStart, Self.isSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
                members.append(Member(key: String(decoding: bytes[(key.lowerBound + 1)..<(key.upperBound - 1)], as: UTF8.self),
                                      start: start, value: valueStart..<valueEnd))
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { return nil }
                return finish(members)
            }
        }

        /// The object must be all there is, apart from whitespace.
        private mutating func finish(_ members: [Member]) -> ([Member], Int)? {
            let end = index - 1
            skipSpace()
            return index == bytes.count ? (members, end) : nil
        }

        /// A string's span, quotes included.
        private mutating func string() -> Range<Int>? {
            let start = index
            guard consume(UInt8(ascii: "\"")) else { return nil }
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return start..<index
                default: index += 1
                }
            }
            return nil
        }

        /// Skips one value: a string, or a run up to the separator that ends it, with brackets balanced.
        private mutating func skipValue() -> Bool {
            var depth = 0
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return index > start }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { return index > start }
                default: break
                }
                index += 1
            }
            return false
        }

        private mutating func skipSpace() {
            while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        }

        private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

        private mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
    }
}
