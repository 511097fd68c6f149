import Foundation

/// A throwaway PostgreSQL server: `initdb` into a temporary directory, started
/// with `pg_ctl` on a free loopback port, owned by an unprivileged user (the
/// `postgres` account when running as root: initdb refuses root), and removed
/// again by `destroy()`. Nothing outside its directory is touched.
public final class PostgresCluster: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let binaries: String
    private let owner: String?
    private let settings: [String]

    public var dataDirectory: String { directory.appendingPathComponent("data").path }
    public var superuser: String { "postgres" }

    /// A postgresql:// URL to `database` on this server.
    public func url(database: String) -> String { "postgresql://\(superuser)@127.0.0.1:\(port)/\(database)" }

    /// Creates and starts a cluster. `settings` are extra `-c name=value` server settings.
    public static func start(settings: [String] = []) throws -> PostgresCluster {
        let cluster = try PostgresCluster(settings: settings)
        do {
            try cluster.initialize()
            try cluster.startServer()
        } catch {
            cluster.destroy()
            throw error
        }
        return cluster
    }

    private init(settings: [String]) throws {
        binaries = try Self.locateBinaries()
        owner = geteuid() == 0 ? "postgres" : nil
        port = try Self.freePort()
        self.settings = settings
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("orch-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let owner {
            guard let account = getpwnam(owner) else {
                throw Command.Failure(command: "getpwnam(\(owner))", status: nil, output: "running as root needs the \(owner) user (apt-get install postgresql-15 creates it)")
            }
            chown(directory.path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
    }

    /// Stops the server (if running) and deletes its directory.
    public func destroy() {
        try? stopServer()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Server

    public func stopServer() throws {
        guard FileManager.default.fileExists(atPath: "\(dataDirectory)/postmaster.pid") else { return }
        try asOwner(["\(binaries)/pg_ctl", "stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60"])
    }

    /// Starts the server and returns once it accepts connections (`pg_ctl -w`).
    public func startServer() throws {
        let options = (["listen_addresses=127.0.0.1", "port=\(port)", "unix_socket_directories=''"] + settings)
            .map { "-c \($0)" }.joined(separator: " ")
        try asOwner(["\(binaries)/pg_ctl", "start", "-D", dataDirectory, "-l", "\(directory.path)/server.log",
                     "-w", "-t", "60", "-o", options])
    }

    public func restartServer() throws {
        try stopServer()
        try startServer()
    }

    private func initialize() throws {
        try asOwner(["\(binaries)/initdb", "-D", dataDirectory, "-U", superuser, "--auth=trust", "--encoding=UTF8",
                     "--locale=C", "--no-sync"])
    }

    // MARK: - SQL

    /// Runs SQL through psql in `database` and returns the rows, one per line, fields separated by `|`.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Command.run(["\(binaries)/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                         "-p", String(port), "-U", superuser, "-d", database, "-c", sql], timeout: .seconds(60))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func createDatabase(_ name: String) throws { try psql("CREATE DATABASE \"\(name)\"") }
    public func dropDatabase(_ name: String) throws { try psql("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)") }

    // MARK: - Helpers

    private func asOwner(_ arguments: [String]) throws {
        if let owner {
            try Command.run(["/usr/sbin/runuser", "-u", owner, "--"] + arguments)
        } else {
            try Command.run(arguments)
        }
    }

    /// `$ORCH_PG_BIN`, else the newest /usr/lib/postgresql/<n>/bin, else the directory of `pg_ctl` on PATH.
    static func locateBinaries() throws -> String {
        let fileManager = FileManager.default
        if let configured = ProcessInfo.processInfo.environment["ORCH_PG_BIN"] { return configured }
        let versions = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, fileManager.isExecutableFile(atPath: "/usr/lib/postgresql/\(newest)/bin/initdb") {
            return "/usr/lib/postgresql/\(newest)/bin"
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where fileManager.isExecutableFile(atPath: "\(directory)/initdb") {
            return String(directory)
        }
        throw Command.Failure(command: "initdb", status: nil, output: "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin or PATH; install postgresql-15 (make deps) or set ORCH_PG_BIN")
    }

    /// A loopback port nobody listens on now (the kernel's choice for port 0).
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw Command.Failure(command: "bind 127.0.0.1:0", status: nil, output: String(cString: strerror(errno))) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
