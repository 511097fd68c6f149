import Foundation
import PluginAPI

/// Reads JSON from bytes field by field, straight into the caller's values:
/// the counterpart of `JSONWriter` for the store's replies, which
/// Foundation's JSONDecoder decoded several times more slowly.
public struct JSONReader {
    private let bytes: [UInt8]
    private var index = 0

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public init(_ data: Data) { bytes = Array(data) }

    /// Reads a whole document with `body` and checks nothing but whitespace follows.
    public static func read<T>(_ data: Data, _ body: (inout JSONReader) throws -> T) throws -> T {
        var reader = JSONReader(data)
        let value = try body(&reader)
        reader.skipWhitespace()
        guard reader.index == reader.bytes.count else { throw reader.failure("unexpected text after the JSON value") }
        return value
    }

    /// Calls `member` with each key of an object; `member` must read (or `skip`) its value.
    public mutating func object(_ member: (inout JSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if try consume(UInt8(ascii: "}")) { return }
        repeat {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
        } while try consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// Calls `element` once per array element; `element` must read its value.
    public mutating func array(_ element: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if try consume(UInt8(ascii: "]")) { return }
        repeat { try element(&self) } while try consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    /// True (and consumed) when the next value is `null`.
    public mutating func null() throws -> Bool {
        skipWhitespace()
        guard bytes[index...].starts(with: "null".utf8) else { return false }
        index += 4
        return true
    }

    public mutating func optionalString() throws -> String? { try null() ? nil : try string() }

    public mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes, the bytes are the string.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
        guard index < bytes.count else { throw failure("an unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        var text = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"): try unescape(into: &text)
            default: text.append(byte)
            }
        }
        throw failure("an unterminated string")
    }

    public mutating func int64() throws -> Int64 {
        let token = try numberToken()
        if let value = Int64(token) { return value }
        // 3.0 or 1e3 are integers too, if exact.
        guard let double = Double(token), double.rounded() == double, abs(double) < 9e15 else { throw failure("an integer, found \(token)") }
        return Int64(double)
    }

    public mutating func int() throws -> Int { Int(try int64()) }

    public mutating func double() throws -> Double {
        let token = try numberToken()
        guard let value = Double(token) else { throw failure("a number, found \(token)") }
        return value
    }

    public mutating func bool() throws -> Bool {
        skipWhitespace()
        if bytes[index...].starts(with: "true".utf8) { index += 4; return true }
        if bytes[index...].starts(with: "false".utf8) { index += 5; return false }
        throw failure("true or false")
    }

    /// Any JSON value.
    public mutating func value() throws -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("a value, found the end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            try object { reader, key in members[key] = try reader.value() }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            try array { elements.append(try $0.value()) }
            return .array(elements)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try bool())
        case UInt8(ascii: "n"):
            guard try null() else { throw failure("null") }
            return .null
        default:
            let token = try numberToken()
            if let integer = Int64(token) { return .int(integer) }
            guard let double = Double(token) else { throw failure("a number, found \(token)") }
            return .double(double)
        }
    }

    /// Skips a value this reader does not know (a field added by a newer peer).
    public mutating func skip() throws { _ = try value() }

    // MARK: - Scanning

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw failure("\"\(Character(Unicode.Scalar(byte)))\"") }
        index += 1
    }

    private mutating func consume(_ byte: UInt8) throws -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func numberToken() throws -> String {
        skipWhitespace()
        let start = index
        while index < bytes.count, let byte = Optional(bytes[index]),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index += 1
        }
        guard index > start else { throw failure("a number") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func unescape(into text: inout [UInt8]) throws {
        guard index < bytes.count else { throw failure("an escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar), bytes[index...].starts(with: "\\u".utf8) {
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a low surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            text.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
        default: throw failure("a valid escape")
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw failure("four hex digits")
        }
        index += 4
        return value
    }

    private func failure(_ expected: String) -> Failure {
        Failure(description: "expected \(expected) at byte \(index)")
    }
}

/// A type that reads itself with `JSONReader` (the store's records and replies).
public protocol JSONReadable {
    init(reading reader: inout JSONReader) throws
}
