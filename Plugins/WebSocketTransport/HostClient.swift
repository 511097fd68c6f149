import Foundation
import PluginAPI

/// The transport's only way to get work done: `host->request` with the operations of
/// docs/operations.md, replies decoded as JSON objects, failures as `APIError`s.
struct HostClient: Sendable {
    let host: HostGate

    func call(_ call: HostCall) async throws(APIError) -> [String: JSONValue] {
        try await request(call.json, op: call.op)
    }

    func call(_ op: String) async throws(APIError) -> [String: JSONValue] {
        try await request(Data("{\"op\":\"\(op)\"}".utf8), op: op)
    }

    private func request(_ json: Data, op: String) async throws(APIError) -> [String: JSONValue] {
        let reply: Data
        do { reply = try await host.request(json) } catch { throw APIError(error) }
        guard case .object(let object)? = try? JSON.decode(JSONValue.self, from: reply) else {
            throw APIError(.badGateway, "invalid_host_reply", "the host answered \(op) with something that is not a JSON object")
        }
        return object
    }
}
