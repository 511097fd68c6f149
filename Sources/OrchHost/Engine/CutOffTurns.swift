import Foundation
import Logging
import PluginAPI
import StoreModel

/// Turns a host stop left without an answer, and the history row that says so.
///
/// The engine keeps one durable fact while a turn runs: the orchestrator's status is
/// `executing` with the turn's id in `status_detail`. A host killed mid-turn never
/// writes the `idle` that follows, so the next start knows which turn was cut off, and
/// that every message queued behind it never ran. Each gets a marker row (clients show
/// it as an interrupted turn with a retry); the partial reply the outbox had saved stays
/// before it. A graceful stop writes the same markers itself, as its turns end.
enum CutOffTurns {
    /// `metadata.type` of a marker row (docs/protocol.md, "Records").
    static let markerType = "turn_interrupted"
    /// `error_class` of the turn that was running when the host stopped.
    static let runningClass = "host_stopped"
    /// `error_class` of a message that was still queued: it never reached the model.
    static let queuedClass = "cancelled"

    /// The marker for `turnID`; `ran`: the turn had started (its reply may be partial) or was still queued.
    static func marker(orchestratorID: String, turnID: String, ran: Bool) -> NewChatMessage {
        let text = ran
            ? "This reply was cut off: orch stopped while it was being written. What had been saved is above; send the message again to retry."
            : "Not answered: orch stopped before this message's turn began. It is saved; send it again to get an answer."
        let metadata: JSONValue = [
            "type": .string(markerType), "turn_id": .string(turnID), "partial": true,
            "outcome": .string(ran ? "interrupted" : "cancelled"), "error_class": .string(ran ? runningClass : queuedClass),
        ]
        return NewChatMessage(orchestratorID: orchestratorID, sender: .orchestrator, receiver: .user, message: text,
                              metadata: metadata, id: UUIDv7.next())
    }

    /// Writes the marker of `turnID`; a queued message (`moving`) is first moved after what came before,
    /// so history reads question, marker. The one way both a restart and a graceful stop write markers.
    @discardableResult
    static func write(_ turnID: String, ran: Bool, moving messageID: String? = nil, orchestratorID: String,
                      store: StoreAPI) async throws -> ChatMessageRecord {
        if let messageID { _ = try await store.moveChatToEnd(orchestratorID: orchestratorID, id: messageID) }
        return try await store.insertChat(marker(orchestratorID: orchestratorID, turnID: turnID, ran: ran))
    }

    /// The running turn the status names, if the previous run stopped during one.
    static func runningTurn(of record: OrchestratorRecord) -> String? {
        guard record.status == "executing" else { return nil }
        return record.metadata["status_detail"]?["turn_id"]?.stringValue
    }

    /// How far back the running turn's message is looked for: a turn's own rows and the
    /// messages queued behind it are at the end of the history.
    static let searchLimit = 5_000

    /// At start, before any turn runs: marks what the previous run cut off and sets the
    /// status back to idle. Returns the updated record and the marker rows written.
    static func recover(_ record: OrchestratorRecord, store: StoreAPI, logger: Logger) async throws -> (OrchestratorRecord, [ChatMessageRecord]) {
        guard let turnID = runningTurn(of: record) else { return (record, []) }
        let tail = try await rows(from: turnID, of: record.id, store: store)
        var markers: [ChatMessageRecord] = []
        if tail.isEmpty {
            logger.warning("the previous run stopped during turn \(turnID), whose message is not in the last \(searchLimit) of the history; nothing to mark")
        } else {
            markers.append(try await write(turnID, ran: true, orchestratorID: record.id, store: store))
            let queued = tail.filter { $0.sender == .user && turnOf($0) != turnID }
            for message in queued {
                guard let queuedTurn = turnOf(message) else { continue }
                markers.append(try await write(queuedTurn, ran: false, moving: message.id, orchestratorID: record.id, store: store))
            }
            logger.warning("the previous run stopped during turn \(turnID) (killed or crashed); marked it\(queued.isEmpty ? "" : " and \(queued.count) queued message(s)") as not answered")
            _ = try await store.insertSystemLog(level: "WARNING", message: "turn cut off by a host stop", metadata: [
                "orchestrator_agent_id": .string(record.id), "turn_id": .string(turnID), "queued_not_run": .int(Int64(queued.count)),
            ])
        }
        return (try await store.setStatus(orchestratorID: record.id, status: "idle"), markers)
    }

    /// The history from the running turn's user message on, oldest first; empty if it is not found.
    private static func rows(from turnID: String, of orchestratorID: String, store: StoreAPI) async throws -> [ChatMessageRecord] {
        var newestFirst: [ChatMessageRecord] = []
        var before: String?
        while newestFirst.count < searchLimit {
            let page = try await store.chatHistory(orchestratorID: orchestratorID, limit: 500, before: before)
            for message in page.messages.reversed() {
                newestFirst.append(message)
                if message.sender == .user, turnOf(message) == turnID { return newestFirst.reversed() }
            }
            guard page.hasMore, let oldest = page.messages.first else { break }
            before = oldest.id
        }
        return []
    }

    static func turnOf(_ message: ChatMessageRecord) -> String? { message.metadata["turn_id"]?.stringValue }
}
