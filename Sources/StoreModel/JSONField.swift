import Foundation
import PluginAPI

/// One member of a record's JSON: its key and the property that holds it. A
/// record's table of fields (`JSONRecord.fields`) drives its fast writer and
/// reader and its Codable conformance alike, so adding a field to a record
/// means one line in the table, not one per coder.
// @unchecked: it holds only a key, a flag and closures over an immutable key path.
public struct JSONField<Record>: @unchecked Sendable {
    public let key: String
    let isRequired: Bool
    let write: (Record, inout JSONWriter) -> Void
    let read: (inout Record, inout JSONReader) throws -> Void
    let encode: (Record, inout KeyedEncodingContainer<JSONFieldKey>) throws -> Void
    let decode: (inout Record, KeyedDecodingContainer<JSONFieldKey>) throws -> Void

    /// A field always written, as null when it is an absent optional.
    public init<Value: JSONFieldValue>(_ key: String, _ property: WritableKeyPath<Record, Value>) {
        self.init(key, property, omittedWhenNil: false)
    }

    /// An optional field left out of the JSON when it is nil.
    public init<Wrapped: JSONFieldValue>(_ key: String, omittedWhenNil property: WritableKeyPath<Record, Wrapped?>) {
        self.init(key, property, omittedWhenNil: true)
    }

    private init<Value: JSONFieldValue>(_ key: String, _ property: WritableKeyPath<Record, Value>, omittedWhenNil: Bool) {
        self.key = key
        isRequired = Value.isRequired
        let codingKey = JSONFieldKey(stringValue: key)
        write = { record, writer in
            let value = record[keyPath: property]
            guard !(omittedWhenNil && value.isNil) else { return }
            writer.key(key)
            value.write(to: &writer)
        }
        read = { record, reader in record[keyPath: property] = try Value.read(from: &reader) }
        encode = { record, container in
            let value = record[keyPath: property]
            guard !(omittedWhenNil && value.isNil) else { return }
            try container.encode(value, forKey: codingKey)
        }
        decode = { record, container in
            // An optional may be absent, as with synthesized Codable.
            guard Value.isRequired || container.contains(codingKey) else { return }
            record[keyPath: property] = try container.decode(Value.self, forKey: codingKey)
        }
    }
}

/// The coding key of a `JSONField`: its JSON name.
public struct JSONFieldKey: CodingKey {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
