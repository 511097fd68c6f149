import Foundation
import PluginAPI

/// A value a `JSONField` can hold: it writes itself with `JSONWriter`, reads
/// itself with `JSONReader`, and is Codable for every other coder.
public protocol JSONFieldValue: Codable {
    func write(to writer: inout JSONWriter)
    static func read(from reader: inout JSONReader) throws -> Self
    /// False for `Optional`: a record may lack such a field.
    static var isRequired: Bool { get }
    /// True for `Optional.none`, which a field may leave out instead of writing null.
    var isNil: Bool { get }
}

extension JSONFieldValue {
    public static var isRequired: Bool { true }
    public var isNil: Bool { false }
}

extension String: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.string(self) }
    public static func read(from reader: inout JSONReader) throws -> String { try reader.string() }
}

extension Int64: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.number(self) }
    public static func read(from reader: inout JSONReader) throws -> Int64 { try reader.int64() }
}

extension Double: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.number(self) }
    public static func read(from reader: inout JSONReader) throws -> Double { try reader.double() }
}

extension Bool: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.bool(self) }
    public static func read(from reader: inout JSONReader) throws -> Bool { try reader.bool() }
}

extension JSONValue: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.value(self) }
    public static func read(from reader: inout JSONReader) throws -> JSONValue { try reader.value() }
}

extension Party: JSONFieldValue {
    public func write(to writer: inout JSONWriter) { writer.string(rawValue) }
    public static func read(from reader: inout JSONReader) throws -> Party {
        let text = try reader.string()
        guard let party = Party(rawValue: text) else { throw JSONReader.Failure(description: "\"\(text)\" is not a party (user, orchestrator, agent)") }
        return party
    }
}

extension Optional: JSONFieldValue where Wrapped: JSONFieldValue {
    public func write(to writer: inout JSONWriter) {
        if let self { self.write(to: &writer) } else { writer.null() }
    }
    public static func read(from reader: inout JSONReader) throws -> Wrapped? {
        try reader.null() ? nil : try Wrapped.read(from: &reader)
    }
    public static var isRequired: Bool { false }
    public var isNil: Bool { self == nil }
}

extension Array: JSONFieldValue where Element: JSONFieldValue {
    public func write(to writer: inout JSONWriter) {
        writer.array { writer in forEach { $0.write(to: &writer) } }
    }
    public static func read(from reader: inout JSONReader) throws -> [Element] {
        var elements: [Element] = []
        try reader.array { elements.append(try Element.read(from: &$0)) }
        return elements
    }
}

/// A string enum written as its raw value; reading any other string names the allowed ones.
public protocol NamedJSONValue: JSONFieldValue, RawRepresentable, CaseIterable where RawValue == String {
    /// What the value is, for the error: "permission status".
    static var noun: String { get }
}

extension NamedJSONValue {
    public func write(to writer: inout JSONWriter) { writer.string(rawValue) }
    public static func read(from reader: inout JSONReader) throws -> Self {
        let text = try reader.string()
        guard let value = Self(rawValue: text) else {
            throw JSONReader.Failure(description: "\"\(text)\" is not a \(noun) (\(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return value
    }
}
