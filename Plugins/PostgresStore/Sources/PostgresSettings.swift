import Foundation
import PluginAPI
import StoreSupport

/// `[store.options]` of PostgresStore, validated, and the libpq connection parameters made from them.
struct PostgresSettings: Sendable {
    static let known = ["url", "pool_size", "statement_timeout_ms", "connect_timeout_s", "synchronous_commit",
                        "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl"]
    static let synchronousCommitValues = ["on", "off", "local", "remote_write", "remote_apply"]
    static let tlsKeys = ["sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl"]

    let url: String
    let poolSize: Int
    let statementTimeoutMilliseconds: Int
    let connectTimeoutSeconds: Int
    /// PostgreSQL's synchronous_commit for the store's sessions; nil keeps the server's setting.
    let synchronousCommit: String?
    /// TLS parameters handed to libpq unchanged; they override the same ones in `url`.
    let tls: [(String, String)]

    private struct Options: Decodable {
        var url: String?
        var pool_size: Int?
        var statement_timeout_ms: Int?
        var connect_timeout_s: Int?
        var synchronous_commit: String?
        var sslmode: String?
        var sslrootcert: String?
        var sslcert: String?
        var sslkey: String?
        var sslcrl: String?
    }

    init(_ host: PluginHost) throws(PluginError) {
        let options = try StoreOptions.decode(Options.self, from: host, store: PostgresStore.name, known: Self.known)
        guard let url = options.url, url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
            throw .invalid("invalid_options", "PostgresStore: \"url\" must be a postgresql:// URI such as postgresql://orch@127.0.0.1:5432/orch; got \(options.url.map { "\"\(Self.redacted($0))\"" } ?? "nothing")")
        }
        func bounded(_ value: Int?, _ key: String, default fallback: Int, _ range: ClosedRange<Int>) throws(PluginError) -> Int {
            let value = value ?? fallback
            guard range.contains(value) else {
                throw .invalid("invalid_options", "PostgresStore: \"\(key)\" must be between \(range.lowerBound) and \(range.upperBound); got \(value)")
            }
            return value
        }
        self.url = url
        poolSize = try bounded(options.pool_size, "pool_size", default: 4, 1...64)
        statementTimeoutMilliseconds = try bounded(options.statement_timeout_ms, "statement_timeout_ms", default: 30_000, 0...86_400_000)
        connectTimeoutSeconds = try bounded(options.connect_timeout_s, "connect_timeout_s", default: 5, 1...300)
        if let value = options.synchronous_commit, !Self.synchronousCommitValues.contains(value) {
            throw .invalid("invalid_options", "PostgresStore: \"synchronous_commit\" must be one of \(Self.synchronousCommitValues.joined(separator: ", ")); got \"\(value)\"")
        }
        synchronousCommit = options.synchronous_commit
        tls = [("sslmode", options.sslmode), ("sslrootcert", options.sslrootcert), ("sslcert", options.sslcert),
               ("sslkey", options.sslkey), ("sslcrl", options.sslcrl)].compactMap { key, value in value.map { (key, $0) } }
    }

    /// The URL without its password, for messages and logs.
    var location: String { Self.redacted(url) }

    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              let colon = url[scheme.upperBound..<at].firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: url.index(after: colon)..<at, with: "***")
    }

    /// Keywords before `dbname` are defaults the URL may override; those after it override the URL.
    func withConnectionParameters<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let pairs: [(String, String)] = [("connect_timeout", String(connectTimeoutSeconds)), ("application_name", "orch"), ("dbname", url)] + tls
        return withCStrings(pairs.map(\.0) + [nil]) { keywords in
            withCStrings(pairs.map(\.1) + [nil]) { values in body(keywords, values) }
        }
    }
}
