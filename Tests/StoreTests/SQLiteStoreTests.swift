import Foundation
import Logging
import OrchHost
import PluginAPI
import PostgresCluster
import Testing

/// What only SQLiteStore has: a file of its own, created where `path` says.
@Suite struct SQLiteStoreTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orch-sqlite-\(UUID().uuidString.prefix(8))")
    let loader = PluginLoader(locator: PluginLocator(configured: [], relativeTo: "/"), logger: quietLogger)

    func open(_ options: [String: JSONValue]) throws -> StoreClient {
        try loader.makeStore(try loader.library("SQLiteStore", relativeTo: "/"),
                             .init(label: "SQLiteStore", config: try JSON.encode(options), requests: HostRequests(), events: IgnoredEvents()))
    }

    @Test func createsTheDirectoryAndRunsInWALMode() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/deeper/orch.sqlite").path
        let store = try open(["path": .string(path), "readers": .int(3), "busy_timeout_ms": .int(100)])
        #expect(try await store.api.health().ok)
        await store.ref.destroy()
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try Command.run(["/usr/bin/sqlite3", path, "PRAGMA journal_mode"]).trimmingCharacters(in: .whitespacesAndNewlines) == "wal")
    }

    @Test func aRelativePathIsRelativeToTheWorkingDirectory() async throws {
        let relative = ".build/orch-sqlite-test-\(UUID().uuidString.prefix(8))"
        let absolute = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relative)
        defer { try? FileManager.default.removeItem(at: absolute) }
        let store = try open(["path": .string(relative + "/orch.sqlite")])
        await store.ref.destroy()
        #expect(FileManager.default.fileExists(atPath: absolute.appendingPathComponent("orch.sqlite").path))
    }

    @Test func badOptionsAreRefusedAtStart() throws {
        let cases: [([String: JSONValue], String)] = [
            (["path": .string(":memory:")], #"SQLiteStore: "path" must be a file path such as .orch/orch.sqlite; got ":memory:" (in-memory and URI databases cannot be shared by the store's connections)"#),
            (["path": .string("")], #"SQLiteStore: "path" must be a file path such as .orch/orch.sqlite; got "" (in-memory and URI databases cannot be shared by the store's connections)"#),
            (["readers": .int(0)], #"SQLiteStore: "readers" must be between 1 and 32; got 0"#),
            (["busy_timeout_ms": .int(-1)], #"SQLiteStore: "busy_timeout_ms" must be between 0 and 600000; got -1"#),
            (["journal": .string("wal")], #"SQLiteStore: unknown option "journal"; the options are path, busy_timeout_ms, readers"#),
        ]
        for (options, message) in cases {
            #expect(throws: PluginLoadError.initFailed(plugin: "SQLiteStore", kind: .store, status: .invalid, message: message)) {
                _ = try open(options)
            }
        }
    }

    @Test func aPathThatCannotBeCreatedIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        do {
            _ = try open(["path": .string(file.path + "/db/orch.sqlite")])
            Issue.record("a store was made under a regular file")
        } catch let PluginLoadError.initFailed(_, _, status, message) {
            #expect(status == .unavailable)
            #expect(message.hasPrefix("SQLiteStore: cannot create the directory \(file.path)/db for \"path\": "), "\(message)")
            #expect(message.hasSuffix("; choose a writable path"))
        }
    }

    @Test func aFileThatIsNotADatabaseIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("notes.txt")
        try Data(String(repeating: "not a database\n", count: 200).utf8).write(to: file)
        #expect(throws: PluginLoadError.initFailed(plugin: "SQLiteStore", kind: .store, status: .internal, message: """
            SQLiteStore: \(file.path) is not a usable SQLite database (file is not a database); restore it from a backup or choose another "path"
            """)) {
            _ = try open(["path": .string(file.path)])
        }
    }
}
