import Foundation
import PluginAPI

/// The `start_turn` JSON (docs/protocol.md, "Backend turns"), validated.
struct TurnRequest: Sendable {
    var turnID: String
    var orchestratorID: String
    /// The Claude session to continue or create; generated when the host sends none.
    var sessionID: String
    var resume: Bool
    /// A string, or an array of content blocks, as the CLI accepts them.
    var message: JSONValue
    var workingDirectory: String
    /// Per-session settings sent with the turn (empty: those already in effect, or the config).
    var settings: SessionSettings

    private struct Wire: Decodable {
        var turn_id: String
        var orchestrator_id: String?
        var session_id: String?
        var resume: Bool?
        var message: JSONValue
        var working_dir: String?
    }

    init(_ request: Request) throws(PluginError) {
        let wire = try request.decode(Wire.self)
        settings = try SessionSettings(request)
        switch wire.message {
        case .string(let text) where !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty: break
        case .array(let blocks) where !blocks.isEmpty: break
        default:
            throw .invalid("empty_message", "start_turn: \"message\" must be non-empty text or a non-empty array of content blocks")
        }
        if let id = wire.session_id, UUID(uuidString: id) == nil {
            throw .invalid("invalid_session_id", "start_turn: \"session_id\" must be a UUID (the Claude CLI accepts nothing else); got \"\(id)\"")
        }
        let directory = wire.working_dir ?? FileManager.default.currentDirectoryPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalid("invalid_working_dir", "start_turn: working_dir \"\(directory)\" is not an existing directory; create it or fix [host] working_dir")
        }
        turnID = wire.turn_id
        orchestratorID = wire.orchestrator_id ?? ""
        sessionID = (wire.session_id ?? UUID().uuidString).lowercased()
        resume = wire.resume ?? false
        message = wire.message
        workingDirectory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }
}
