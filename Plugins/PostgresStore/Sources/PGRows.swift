import CLibPQ
import Foundation
import PluginAPI
import StoreModel
import StoreSupport

/// The rows of a result, copied out as text (libpq's text format).
struct PGRows: Sendable {
    let rows: [PGRow]
    /// Rows an INSERT, UPDATE or DELETE touched.
    let affected: Int

    init(_ result: OpaquePointer?) {
        affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        let count = Int(PQntuples(result)), columns = Int(PQnfields(result))
        var rows: [PGRow] = []
        rows.reserveCapacity(count)
        for row in 0..<count {
            rows.append(PGRow(values: (0..<columns).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1 ? nil
                    : PGText.unescaped(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
            }))
        }
        self.rows = rows
    }

    var first: PGRow? { rows.first }
}

/// One row, as libpq's text format gives it.
struct PGRow: RecordRow, Sendable {
    let values: [String?]

    func optional(_ column: Int) -> String? { column < values.count ? values[column] : nil }

    func int64(_ column: Int) throws(PluginError) -> Int64 {
        let value = try text(column)
        guard let number = Int64(value) else { throw .internal("PostgresStore: column \(column) is not an integer: \(value)") }
        return number
    }

    func bool(_ column: Int) throws(PluginError) -> Bool { try text(column) == "t" }

    func cost(_ column: Int) throws(PluginError) -> Double {
        let value = try text(column)
        guard let cost = PicoDollars(decimal: value) else { throw .internal("PostgresStore: column \(column) is not a decimal: \(value)") }
        return cost.dollars
    }
}

/// An error the server reported for a statement, before the store gives it a meaning.
struct PostgresFailure: Error {
    let sqlState: String
    let constraint: String?
    let message: String

    /// Connection failures, shutdowns and "starting up": the next attempt may work.
    var isConnectionLoss: Bool {
        sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
    }

    /// What the caller sees: the store's meaning of this constraint or SQLSTATE, else one by class of SQLSTATE.
    func pluginError(meanings: [String: PluginError], statementTimeout: Int) -> PluginError {
        if let constraint, let mapped = meanings[constraint] { return mapped }
        if let mapped = meanings[sqlState] { return mapped }
        if isConnectionLoss { return StoreError.unavailable(PostgresStore.name, message) }
        switch sqlState {
        case "57014": return StoreError.timedOut(PostgresStore.name, milliseconds: statementTimeout)
        case "40001", "40P01":
            return PluginError(.conflict, code: "transaction_conflict", "\(PostgresStore.name): \(message); retry the operation", retryable: true)
        default: return .internal("\(PostgresStore.name): PostgreSQL error \(sqlState): \(message)")
        }
    }
}
