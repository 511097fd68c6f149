import Foundation

/// Log levels, numbered as `ORCH_LOG_*` (and swift-log).
public enum LogLevel: Int32, Sendable, Comparable, CaseIterable {
    case trace = 0, debug, info, notice, warning, error, critical
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A plugin's view of the host table it was created with. Every method is
/// thread-safe; none blocks.
public struct PluginHost: @unchecked Sendable {
    public let table: UnsafePointer<orch_host>
    public init(_ table: UnsafePointer<orch_host>) { self.table = table }

    public var abiMajor: UInt32 { table.pointee.abi_major }
    public var abiMinor: UInt32 { table.pointee.abi_minor }

    /// This instance's options table from the config, as JSON.
    public var config: Data { table.pointee.config(table).data }

    /// The options decoded into the plugin's own type; a mismatch becomes an error naming the field.
    public func options<T: Decodable>(_ type: T.Type = T.self) throws(PluginError) -> T {
        do { return try JSONDecoder().decode(type, from: config) } catch {
            throw .invalid("invalid_options", "options: \(Request.describe(error))")
        }
    }

    public func log(_ level: LogLevel, _ message: String) {
        withBytes(message) { table.pointee.log(table, level.rawValue, $0) }
    }

    /// Sends a JSON request to the host and waits for its reply.
    public func request(_ json: Data) async throws -> Data {
        try await awaitCompletion { request(json, completion: $0) }
    }

    /// Sends a JSON request; the host calls `completion` once with the reply, on any thread.
    public func request(_ json: Data, completion: orch_completion) {
        withBytes(json) { table.pointee.request(table, $0, completion) }
    }

    public func request<Reply: Decodable>(_ op: String, _ arguments: [String: JSONValue] = [:], as: Reply.Type = Reply.self) async throws -> Reply {
        try JSON.decode(Reply.self, from: try await request(try Self.body(op: op, arguments)))
    }

    /// A host operation's request body: `{"op": op, ...arguments}`.
    static func body(op: String, _ arguments: [String: JSONValue]) throws -> Data {
        var body = arguments
        body["op"] = .string(op)
        return try JSON.encode(body)
    }

    /// Publishes an event to every transport; the host assigns `seq`.
    public func publish(_ event: Event) {
        event.withCEvent { table.pointee.publish(table, $0) }
    }
}
