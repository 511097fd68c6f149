import Foundation
import PluginAPI

/// The transport's only way to get work done: `host->request` with the operations of
/// docs/protocol.md, replies decoded as JSON objects, failures as `APIError`s.
struct HostClient: Sendable {
    let host: GuardedHost

    func call(_ call: HostCall) async throws(APIError) -> [String: JSONValue] {
        try await request(call.json, op: call.op)
    }

    func call(_ op: String) async throws(APIError) -> [String: JSONValue] {
        try await request(Data("{\"op\":\"\(op)\"}".utf8), op: op)
    }

    /// Issues the call now (in the caller's order) and hands the decoded reply to `reply`, on any thread.
    func start(_ call: HostCall, reply: @escaping @Sendable (Result<[String: JSONValue], APIError>) -> Void) {
        host.request(call.json) { result in
            reply(result.mapError(APIError.init).flatMap { Self.object($0, op: call.op) })
        }
    }

    /// The reply's bytes, undecoded, for a caller that passes them on.
    func raw(_ call: HostCall) async throws(APIError) -> Data {
        do { return try await host.request(call.json) } catch { throw APIError(error) }
    }

    private func request(_ json: Data, op: String) async throws(APIError) -> [String: JSONValue] {
        let reply: Data
        do { reply = try await host.request(json) } catch { throw APIError(error) }
        return try Self.object(reply, op: op).get()
    }

    private static func object(_ reply: Data, op: String) -> Result<[String: JSONValue], APIError> {
        guard case .object(let object)? = try? JSON.decode(JSONValue.self, from: reply) else {
            return .failure(APIError(.badGateway, "invalid_host_reply", "the host answered \(op) with something that is not a JSON object"))
        }
        return .success(object)
    }
}
