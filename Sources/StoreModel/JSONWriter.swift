import Foundation
import PluginAPI

/// Writes JSON straight into bytes. The store's replies carry up to a thousand
/// records; Foundation's JSONEncoder spent most of a chat_history call on them
/// (measured: ~60% of its CPU), this writer a small fraction of that.
/// Records write themselves through their `JSONRecord.fields`, so the names
/// stay defined once; strings are quoted by `JSONString`, the one escaper.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    public var data: Data { Data(bytes) }

    /// `{ ... }`; write the members with `key(_:)` followed by one value each.
    public mutating func object(_ members: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        bytes.append(UInt8(ascii: "{"))
        try members(&self)
        bytes.append(UInt8(ascii: "}"))
    }

    /// `[ ... ]`; write the elements as values.
    public mutating func array(_ elements: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        bytes.append(UInt8(ascii: "["))
        try elements(&self)
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ value: String) {
        separate()
        JSONString.appendQuoted(value, to: &bytes)
    }

    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func number(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func number(_ value: Int) { number(Int64(value)) }

    /// Swift's shortest round-trip rendering; a value that is not finite (never valid JSON) is written as null.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        bytes.append(contentsOf: value.description.utf8)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
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
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{"), last != UInt8(ascii: "["), last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
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
