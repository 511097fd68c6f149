import Foundation
import OrchHost
import PluginAPI
import Testing

/// Expects `body` to fail with exactly this error: status, code, message and retryable.
func expectError(_ expected: PluginError, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () async throws -> Void) async {
    await #expect(throws: expected, sourceLocation: sourceLocation) { try await body() }
}

extension StoreClient {
    /// Sends a hand-written request, for what the typed API cannot express (bad values, unknown ops).
    @discardableResult
    func raw(_ request: [String: JSONValue]) async throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try await self.request(try JSON.encode(request)))
    }
}

/// RFC 3339 UTC with exactly six fractional digits, as docs/protocol.md specifies.
func isTimestamp(_ text: String) -> Bool {
    text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/) != nil
}

/// A lowercase canonical UUID.
func isUUID(_ text: String) -> Bool {
    text.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil
}

/// A well-formed id that no row has.
func absentID() -> String { UUID().uuidString.lowercased() }
