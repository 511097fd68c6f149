import Foundation
import Synchronization
import NIOCore
import PluginAPI

/// Frames the transport itself sends (not host events): they answer one client and
/// are not part of an orchestrator's stream, so they carry no `seq`.
enum LocalFrame {
    static func connectionEstablished(clientID: String, heartbeat: Duration, maxFrameBytes: Int) -> JSONValue {
        .object([
            "type": .string("connection_established"), "client_id": .string(clientID), "timestamp": .string(timestamp()),
            "message": .string("Connected to Orchestrator Backend"),
            "heartbeat_s": .double(Double(heartbeat.components.seconds) + Double(heartbeat.components.attoseconds) / 1e18),
            "max_frame_bytes": .int(Int64(maxFrameBytes)),
        ])
    }

    static func error(_ error: APIError, replyingTo request: ClientRequest.Header?) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("error"), "code": .string(error.code), "message": .string(error.message),
            "timestamp": .string(timestamp()),
        ]
        request?.annotate(&fields)
        return .object(fields)
    }

    /// The reply to a request that succeeded: the host's reply under the request's name.
    static func ack(_ header: ClientRequest.Header, _ reply: [String: JSONValue]) -> JSONValue {
        var fields = reply
        fields["type"] = .string("ack")
        header.annotate(&fields)
        return .object(fields)
    }

    static func pong(_ header: ClientRequest.Header) -> JSONValue {
        var fields: [String: JSONValue] = ["type": .string("pong"), "timestamp": .string(timestamp())]
        header.annotate(&fields)
        return .object(fields)
    }

    static func resumed(orchestratorID: String, replayed: Int, lastSeq: UInt64, _ header: ClientRequest.Header) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("resumed"), "orchestrator_agent_id": .string(orchestratorID),
            "replayed": .int(Int64(replayed)), "last_seq": .int(Int64(lastSeq)),
        ]
        header.annotate(&fields)
        return .object(fields)
    }

    static func reloadRequired(
        orchestratorID: String, lastSeq: UInt64, _ header: ClientRequest.Header,
        message: String = "the events you missed are no longer kept; reload history with /load_chat, then continue from last_seq"
    ) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("reload_required"), "orchestrator_agent_id": .string(orchestratorID), "last_seq": .int(Int64(lastSeq)),
            "message": .string(message),
        ]
        header.annotate(&fields)
        return .object(fields)
    }

    static func json(_ frame: JSONValue) -> Data {
        (try? JSON.encode(frame)) ?? Data(#"{"type":"error","code":"internal","message":"could not encode a reply"}"#.utf8)
    }

    /// A formatter is not thread-safe, and making one per frame costs more than the lock.
    private static let formatter: Mutex<ISO8601DateFormatter> = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Mutex(formatter)
    }()

    static func timestamp() -> String { formatter.withLock { $0.string(from: Date()) } }
}
