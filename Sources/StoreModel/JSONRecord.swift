import Foundation
import PluginAPI

/// A store record or reply whose JSON is its table of `fields`: the fast
/// `JSONWriter`/`JSONReader` path (the hot path of the ABI) and Codable (every
/// other coder) both follow it, so each key and type is written down once.
public protocol JSONRecord: JSONFieldValue, JSONWritable, JSONReadable {
    /// The fields, in the order they are written: sorted by key, as `JSON.encode` sorts them, so
    /// the bytes a store writes are the bytes the host would have encoded, and it can pass them on.
    static var fields: [JSONField<Self>] { get }
    /// Where reading starts: reading overwrites every required field, and an
    /// absent optional keeps its value here (nil).
    static var blank: Self { get }
    /// What errors call it: "the chat message has no \"id\"".
    static var jsonName: String { get }
}

extension JSONRecord {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            for field in Self.fields { field.write(self, &writer) }
        }
    }

    public init(reading reader: inout JSONReader) throws {
        let fields = Self.fields
        var record = Self.blank
        var seen: UInt64 = 0 // bit i: fields[i] was read; records have far fewer than 64 fields
        var expected = 0 // fields mostly arrive in table order: try the next one first
        try reader.object { reader, key in
            let index = expected < fields.count && fields[expected].key == key ? expected : fields.firstIndex { $0.key == key }
            guard let index else { return try reader.skip() }
            try fields[index].read(&record, &reader)
            seen |= 1 << UInt64(index)
            expected = index + 1
        }
        if let missing = fields.indices.first(where: { fields[$0].isRequired && seen & (1 << UInt64($0)) == 0 }) {
            throw JSONReader.Failure(description: "the \(Self.jsonName) has no \"\(fields[missing].key)\"")
        }
        self = record
    }

    public static func read(from reader: inout JSONReader) throws -> Self { try Self(reading: &reader) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONFieldKey.self)
        for field in Self.fields { try field.encode(self, &container) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONFieldKey.self)
        var record = Self.blank
        for field in Self.fields { try field.decode(&record, container) }
        self = record
    }
}
