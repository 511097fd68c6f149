import CSQLite
import Foundation
import PluginAPI
import StoreModel
import StoreSupport

/// A value bound to or read from a statement.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
}

/// One SQLite connection, used by one worker thread only, with its prepared
/// statements cached by SQL text.
final class SQLiteConnection {
    private let db: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    let path: String

    /// Opens (creating) the database in WAL mode with foreign keys on; `readOnly` connections refuse writes.
    init(path: String, busyTimeoutMilliseconds: Int, readOnly: Bool) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let opened = sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(opened))
            sqlite3_close_v2(handle)
            throw PluginError.unavailable("store_unavailable", "SQLiteStore: cannot open \(path): \(reason); check that the directory is writable, or choose another \"path\"")
        }
        db = handle
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Int32(busyTimeoutMilliseconds))
        do {
            // WAL: readers never block the writer nor each other. NORMAL sync is durable
            // against a crash of the process; a power loss may drop the last commits, never corrupt.
            try execute(script: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                        + (readOnly ? " PRAGMA query_only = ON;" : ""))
        } catch {
            sqlite3_close_v2(db)
            throw error
        }
    }

    deinit {
        statements.values.forEach { sqlite3_finalize($0) }
        sqlite3_close_v2(db)
    }

    /// `PRAGMA quick_check` at start: a file damaged inside is refused with what SQLite found,
    /// instead of a host that says ready while every history load fails.
    func checkIntegrity() throws {
        let findings = try query("PRAGMA quick_check").compactMap { $0.optional(0) }
        guard findings == ["ok"] else {
            throw PluginError(.internal, code: "damaged_database",
                              "SQLiteStore: \(path) is damaged (quick_check: \(findings.prefix(3).joined(separator: "; "))); restore it from a backup, or move it aside to start a new, empty history")
        }
    }

    /// Runs one statement and returns its rows.
    func query(_ sql: String, _ values: [SQLiteValue] = []) throws -> [SQLiteRow] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(values, to: statement)
        var rows: [SQLiteRow] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw failure(step) }
            rows.append(SQLiteRow(statement))
        }
    }

    /// Runs one statement that returns no rows; returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int {
        _ = try query(sql, values)
        return Int(sqlite3_changes(db))
    }

    /// Runs parameterless SQL, possibly several statements (migrations, pragmas).
    func execute(script: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(db, script, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            throw SQLiteFailure(code: code, message: message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code)))
        }
    }

    /// Runs `body` in a write transaction (taken at BEGIN, so it never fails halfway on a lock), rolled back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute(script: "BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute(script: "COMMIT")
            return value
        } catch {
            try? execute(script: "ROLLBACK")
            throw error
        }
    }

    /// Runs `body`'s statements all or none, inside the writer's batch transaction or on their own:
    /// a savepoint nests in a batch and is a transaction by itself when the write runs alone.
    func atomically<T>(_ body: () throws -> T) throws -> T {
        try execute(script: "SAVEPOINT orch_atomic")
        do {
            let value = try body()
            try execute(script: "RELEASE SAVEPOINT orch_atomic")
            return value
        } catch {
            try? execute(script: "ROLLBACK TO SAVEPOINT orch_atomic; RELEASE SAVEPOINT orch_atomic")
            throw error
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ values: [SQLiteValue], to statement: OpaquePointer) throws {
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            let code: Int32 = switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let number): sqlite3_bind_int64(statement, position, number)
            // An explicit length: text holding U+0000 is stored whole, not cut at the NUL.
            case .text(let text): sqlite3_bind_text(statement, position, text, Int32(text.utf8.count), orch_sqlite_transient())
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
    }

    private func failure(_ code: Int32) -> SQLiteFailure {
        SQLiteFailure(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)))
    }
}

extension SQLiteConnection: BatchConnection {
    func execute(batchSQL: String) throws { try execute(script: batchSQL) }
}

/// One row, copied out of the statement.
struct SQLiteRow: RecordRow, Sendable {
    let values: [SQLiteValue]

    init(_ statement: OpaquePointer) {
        values = (0..<sqlite3_column_count(statement)).map { column in
            switch sqlite3_column_type(statement, column) {
            case SQLITE_NULL: .null
            case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
            default:
                .text(sqlite3_column_text(statement, column).map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
                } ?? "")
            }
        }
    }

    func optional(_ column: Int) -> String? {
        guard column < values.count else { return nil }
        switch values[column] {
        case .null: return nil
        case .integer(let number): return String(number)
        case .text(let text): return text
        }
    }

    func int64(_ column: Int) throws(PluginError) -> Int64 {
        guard column < values.count, case .integer(let number) = values[column] else {
            throw .internal("SQLiteStore: column \(column) is not an integer")
        }
        return number
    }

    func bool(_ column: Int) throws(PluginError) -> Bool { try int64(column) != 0 }

    /// Costs are stored as integer pico-dollars.
    func cost(_ column: Int) throws(PluginError) -> Double { PicoDollars(try int64(column)).dollars }
}

/// An error SQLite reported, before the store gives it a meaning.
struct SQLiteFailure: Error {
    /// The extended result code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_BUSY, ...).
    let code: Int32
    let message: String

    var primaryCode: Int32 { code & 0xFF }

    /// The store's meaning for a constraint (found by a fragment of SQLite's message), else one by result code.
    func pluginError(meanings: [String: PluginError], path: String) -> PluginError {
        if primaryCode == SQLITE_CONSTRAINT, let mapped = meanings.first(where: { message.contains($0.key) })?.value { return mapped }
        switch primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StoreError.unavailable(SQLiteStore.name, "\(path) stayed locked by another connection for longer than busy_timeout_ms")
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY:
            return StoreError.unavailable(SQLiteStore.name, "\(path): \(message)")
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return PluginError(.internal, code: "store_corrupt", "SQLiteStore: \(path) is not a usable SQLite database (\(message)); restore it from a backup or choose another \"path\"")
        default:
            return .internal("SQLiteStore: SQLite error \(code): \(message)")
        }
    }
}
