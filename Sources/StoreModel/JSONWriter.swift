import Foundation
import PluginAPI

/// Writes JSON straight into a string. The store's replies carry up to a
/// thousand records; Foundation's JSONEncoder spent most of a chat_history call
/// on them (measured: ~60% of its CPU), this writer a small fraction of that.
/// Keys come from the records' `CodingKeys`, so the names stay defined once;
/// strings are quoted by `JSONString`, the one escaper.
public struct JSONWriter {
    public private(set) var text = ""

    public init(capacity: Int = 512) { text.reserveCapacity(capacity) }

    public var data: Data { Data(text.utf8) }

    /// `{ ... }`; write the members with `key(_:)` followed by one value each.
    public mutating func object(_ members: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        text.append("{")
        try members(&self)
        text.append("}")
    }

    /// `[ ... ]`; write the elements as values.
    public mutating func array(_ elements: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        text.append("[")
        try elements(&self)
        text.append("]")
    }

    public mutating func key(_ name: String) {
        string(name)
        text.append(":")
    }

    public mutating func key<Key: CodingKey>(_ key: Key) { self.key(key.stringValue) }

    public mutating func string(_ value: String) {
        separate()
        JSONString.appendQuoted(value, to: &text)
    }

    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func number(_ value: Int64) {
        separate()
        text.append(String(value))
    }

    public mutating func number(_ value: Int) { number(Int64(value)) }

    /// Swift's shortest round-trip rendering; a value that is not finite (never valid JSON) is written as null.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        text.append(value.description)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        text.append(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        text.append("null")
    }

    /// Any JSON; object keys are sorted, as `JSON.encode` sorts them.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .int(let number): self.number(number)
        case .double(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements): array { writer in elements.forEach { writer.value($0) } }
        case .object(let members):
            object { writer in
                for name in members.keys.sorted() {
                    writer.key(name)
                    writer.value(members[name]!)
                }
            }
        }
    }

    /// A comma before a value or key unless it opens a container or follows a key.
    private mutating func separate() {
        guard let last = text.utf8.last else { return }
        if last != UInt8(ascii: "{"), last != UInt8(ascii: "["), last != UInt8(ascii: ":") {
            text.append(",")
        }
    }
}

/// A type that writes itself with `JSONWriter` (the store's records and replies).
public protocol JSONWritable {
    func write(to writer: inout JSONWriter)
}

extension JSONWritable {
    public var jsonData: Data {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.data
    }
}
