import CLibPQ
import Foundation
import PluginAPI
import StoreModel
import StoreSupport

/// One libpq connection, used by one worker thread only. It connects lazily,
/// notices when the server closed it while idle (a restart) and reconnects
/// before the next statement, and prepares each statement once per connection.
final class PGConnection {
    private let settings: PostgresSettings
    private var connection: OpaquePointer?
    private var prepared = Set<String>()

    init(_ settings: PostgresSettings) { self.settings = settings }

    deinit { disconnect() }

    /// Runs a statement prepared once per connection; parameters travel separately from the SQL.
    func execute(_ statement: PGStatement, _ parameters: [String?] = []) throws -> PGRows {
        let connection = try ready()
        try prepare(statement, on: connection)
        let result = withCStrings(parameters.map { $0.map(PGText.escaped) }) { values in
            PQexecPrepared(connection, statement.name, Int32(parameters.count), values, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, connection)
        return PGRows(result)
    }

    /// Runs SQL text once, with parameters (EXPLAIN, rare statements).
    func execute(sql: String, _ parameters: [String?]) throws -> PGRows {
        let connection = try ready()
        let result = withCStrings(parameters.map { $0.map(PGText.escaped) }) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, connection)
        return PGRows(result)
    }

    /// Runs SQL text that takes no parameters, possibly several statements (migrations, BEGIN, COMMIT).
    @discardableResult
    func execute(script: String) throws -> PGRows {
        let connection = try ready()
        let result = PQexec(connection, script)
        defer { PQclear(result) }
        try check(result, connection)
        return PGRows(result)
    }

    /// Runs `body` in a transaction, rolled back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute(script: "BEGIN")
        do {
            let value = try body()
            try execute(script: "COMMIT")
            return value
        } catch {
            if let connection, PQstatus(connection) == CONNECTION_OK { PQclear(PQexec(connection, "ROLLBACK")) }
            throw error
        }
    }

    private func prepare(_ statement: PGStatement, on connection: OpaquePointer) throws {
        guard !prepared.contains(statement.name) else { return }
        let result = PQprepare(connection, statement.name, statement.sql, 0, nil)
        defer { PQclear(result) }
        try check(result, connection)
        prepared.insert(statement.name)
    }

    // MARK: - Pipelining

    /// Above this many bytes of parameters a batch is not pipelined. libpq is
    /// in blocking mode here, so a batch sent whole before any result is read
    /// must fit in the socket buffers (its RETURNING rows echo the text back);
    /// larger batches run one statement at a time.
    static let pipelineByteLimit = 32 * 1024

    /// Sends `begin`, every write and `commit` without waiting (libpq's
    /// pipeline mode), then reads every result: a batch costs one round trip.
    func pipeline(begin: String, _ writes: [PGWrite], commit: String) -> PipelineOutcome<PGRows> {
        let bytes = writes.reduce(0) { total, write in total + write.parameters.reduce(0) { $0 + ($1?.utf8.count ?? 0) } }
        guard bytes <= Self.pipelineByteLimit else { return .notSent }
        let connection: OpaquePointer
        do {
            connection = try ready()
            for write in writes { try prepare(write.statement, on: connection) }
        } catch {
            return .failed(error)
        }
        guard PQenterPipelineMode(connection) == 1 else { return .notSent }
        var sent = PQsendQueryParams(connection, begin, 0, nil, nil, nil, nil, 0) == 1
        for write in writes where sent {
            sent = withCStrings(write.parameters.map { $0.map(PGText.escaped) }) { values in
                PQsendQueryPrepared(connection, write.statement.name, Int32(write.parameters.count), values, nil, nil, 0)
            } == 1
        }
        sent = sent && PQsendQueryParams(connection, commit, 0, nil, nil, nil, nil, 0) == 1 && PQpipelineSync(connection) == 1
        guard sent else { return .failed(lost(connection)) }

        var rows: [PGRows] = []
        var statementFailed = false
        var framingFailure: Error?
        for index in 0..<(writes.count + 2) {
            let result = PQgetResult(connection)
            defer { PQclear(result) }
            if result == nil || PQresultStatus(result) != PGRES_PIPELINE_ABORTED {
                do {
                    try check(result, connection)
                    if index > 0, index <= writes.count { rows.append(PGRows(result)) }
                } catch {
                    if self.connection == nil { return .failed(error) } // check() found the connection gone and closed it
                    if index > 0, index <= writes.count { statementFailed = true } else { framingFailure = error }
                }
            }
            while let rest = PQgetResult(connection) { PQclear(rest) } // each query's results end with a NULL
        }
        let sync = PQgetResult(connection)
        defer { PQclear(sync) }
        guard sync != nil, PQresultStatus(sync) == PGRES_PIPELINE_SYNC, PQexitPipelineMode(connection) == 1 else {
            return .failed(lost(connection))
        }
        if statementFailed { return .statementFailed }
        if let framingFailure { return .failed(framingFailure) }
        return .committed(rows)
    }

    /// Closes a connection that stopped answering in the middle of a pipeline; the error its writes get.
    private func lost(_ connection: OpaquePointer) -> Error {
        let reason = Self.trimmed(PQerrorMessage(connection))
        disconnect()
        return StoreError.unavailable(PostgresStore.name, "the connection to \(settings.location) was lost: \(reason)")
    }

    // MARK: - Connecting

    private func ready() throws -> OpaquePointer {
        if let connection {
            if PQstatus(connection) == CONNECTION_OK, closedByServer(connection) == false { return connection }
            let status = PQtransactionStatus(connection)
            disconnect()
            // The server rolled the open transaction back when it closed: going on with a new connection
            // would run the rest outside it and report its earlier statements done.
            if status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE {
                throw StoreError.unavailable(PostgresStore.name, "the connection to \(settings.location) was lost inside a transaction")
            }
        }
        let made = settings.withConnectionParameters { keywords, values in PQconnectdbParams(keywords, values, 1) }
        guard let made else { throw StoreError.unavailable(PostgresStore.name, "libpq could not allocate a connection") }
        guard PQstatus(made) == CONNECTION_OK else {
            let reason = Self.trimmed(PQerrorMessage(made))
            PQfinish(made)
            throw StoreError.unavailable(PostgresStore.name, "cannot connect to \(settings.location): \(reason)")
        }
        PQsetNoticeProcessor(made, { _, _ in }, nil) // NOTICEs ("already exists, skipping") are not errors; keep stderr clean
        connection = made
        // Both values come from validated options (an integer, a word from a fixed list), so formatting them is safe.
        if settings.statementTimeoutMilliseconds > 0 {
            try execute(script: "SET statement_timeout = \(settings.statementTimeoutMilliseconds)")
        }
        if let synchronousCommit = settings.synchronousCommit {
            try execute(script: "SET synchronous_commit = \(synchronousCommit)")
        }
        return made
    }

    /// True when the server sent something while the connection was idle. An
    /// idle session is sent nothing (no LISTEN, no pending query) unless the
    /// server is ending it: a shutdown or restart sends a FATAL and closes.
    /// Replacing it before use turns a restart into no error at all.
    private func closedByServer(_ connection: OpaquePointer) -> Bool {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    private func disconnect() {
        if let connection { PQfinish(connection) }
        connection = nil
        prepared = []
    }

    // MARK: - Results

    private func check(_ result: OpaquePointer?, _ connection: OpaquePointer) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        if result == nil || PQstatus(connection) != CONNECTION_OK {
            let reason = Self.trimmed(PQerrorMessage(connection))
            disconnect()
            throw StoreError.unavailable(PostgresStore.name, "the connection to \(settings.location) was lost: \(reason)")
        }
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let failure = PostgresFailure(sqlState: field("C") ?? "XX000", constraint: field("n"), message: field("M") ?? Self.trimmed(PQresultErrorMessage(result)))
        if failure.isConnectionLoss { disconnect() }
        throw failure
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "no reason given" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "; ")
    }
}

extension PGConnection: BatchConnection {
    func execute(batchSQL: String) throws { try execute(script: batchSQL) }
    func execute(statement write: PGWrite) throws -> PGRows { try execute(write.statement, write.parameters) }
}

/// One prepared statement with its parameters: a write the store's writer can pipeline.
struct PGWrite: Sendable {
    let statement: PGStatement
    let parameters: [String?]
}

/// A statement with a stable name, prepared once per connection.
struct PGStatement: Sendable {
    let name: String
    let sql: String
}

/// Lends NUL-terminated copies of optional strings as the `const char * const *` libpq takes (NULL = SQL NULL).
func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
