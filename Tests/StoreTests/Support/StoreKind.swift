import Testing

/// The store plugins under test, by library name.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite = "SQLiteStore"
    case postgres = "PostgresStore"

    var testDescription: String { rawValue }
}
