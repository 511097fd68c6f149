import Foundation
import Logging
import PluginAPI
import StoreModel

/// The thinking, tool-use and tool-result blocks of a history page's turns, as they were shown
/// live (`TurnRecorder` keeps each as a system_logs row whose metadata is the block's `data`
/// plus its `type`), so a refreshed page shows what it showed live.
enum HistoryBlocks {
    static let types: Set<String> = [WireMessageType.thinkingBlock, .toolUseBlock, .toolResultBlock].map(\.rawValue).reduce(into: []) { $0.insert($1) }

    /// `[{type, data}]` oldest first, or nil when the store cannot say (an older store without
    /// `read_system_logs`, or an error): the page is still served, without them.
    static func of(_ history: Data, orchestratorID: String, store: StoreAPI, logger: Logger) async -> Data? {
        let turns = turnIDs(in: history).filter { (try? ChatRequestRules.validateUUID($0, field: "turn_id")) != nil }
        guard !turns.isEmpty else { return Data("[]".utf8) }
        do {
            let (logs, _) = try await store.readSystemLogs(limit: StoreRules.maxHistoryLimit, turnIDs: Array(turns.prefix(StoreRules.maxHistoryLimit)),
                                                           orchestratorID: orchestratorID)
            var blocks: [JSONValue] = []
            for log in logs.reversed() {
                guard case .object(var data) = log.metadata, let type = data["type"]?.stringValue, types.contains(type) else { continue }
                data["type"] = nil
                blocks.append(["type": .string(type), "data": .object(data)])
            }
            return try JSON.encode(JSONValue.array(blocks))
        } catch {
            let failure = PluginError(error)
            if failure.status != .unsupported { logger.warning("load_chat: the page's thinking and tool blocks could not be read: \(failure.message)") }
            return nil
        }
    }

    /// Every `"turn_id":"…"` in the store's reply, in order, once each. The bytes are the store's JSON,
    /// where a quote inside a string is escaped, so the pattern only matches a real member.
    static func turnIDs(in json: Data) -> [String] {
        let pattern = Array(#""turn_id":""#.utf8)
        var found: [String] = [], seen = Set<String>()
        json.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var index = 0
            while index + pattern.count < bytes.count {
                guard bytes[index] == pattern[0], pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] }) else { index += 1; continue }
                let start = index + pattern.count
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
                let id = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                if seen.insert(id).inserted { found.append(id) }
                index = end
            }
        }
        return found
    }
}
