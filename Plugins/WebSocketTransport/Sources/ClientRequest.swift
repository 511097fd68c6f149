import PluginAPI

/// A text frame from a client, parsed: what it asks for and how to address the reply.
struct ClientRequest: Sendable {
    /// Echoed on every reply so a client can match replies to requests.
    struct Header: Sendable {
        var type: String
        var requestID: JSONValue?

        func annotate(_ fields: inout [String: JSONValue]) {
            fields["in_reply_to"] = .string(type)
            if let requestID { fields["request_id"] = requestID }
        }
    }

    enum Kind: Sendable {
        case ping
        /// `chat_message` and `interrupt`: one host call, its reply acknowledged.
        case call(HostCall)
        case resume(orchestratorID: String, lastSeq: UInt64, call: HostCall)
    }

    /// Why a frame was refused, with the header when the frame got far enough to have one.
    struct Rejection: Error {
        var error: APIError
        var header: Header?
    }

    static let types = ["chat_message", "interrupt", "resume", "ping"]

    let header: Header
    let kind: Kind

    init(text: some Collection<UInt8>, maxMessageBytes: Int) throws(Rejection) {
        let arguments: ClientArguments
        do { arguments = try ClientArguments(json: text) } catch {
            throw Rejection(error: .badRequest("invalid_json", "a frame must be a JSON object with a \"type\", e.g. {\"type\":\"ping\"}"))
        }
        let type: String
        do throws(APIError) {
            guard let named = try arguments.string("type") else {
                throw APIError.badRequest("invalid_request", "missing field \"type\"; send one of \(Self.types.joined(separator: ", "))")
            }
            type = named
        } catch { throw Rejection(error: error) }
        var header = Header(type: String(type.prefix(64)), requestID: nil)
        do throws(APIError) {
            header.requestID = try Self.requestID(arguments)
            switch type {
            case "ping": kind = .ping
            case "chat_message": kind = .call(try HostCall.sendChat(arguments, maxMessageBytes: maxMessageBytes))
            case "interrupt": kind = .call(try HostCall.interrupt(arguments))
            case "resume":
                let call = try HostCall.resume(arguments)
                guard let id = call.arguments["orchestrator_agent_id"]?.stringValue, let seq = call.arguments["last_seq"]?.intValue else {
                    throw APIError.badRequest("invalid_request", "resume needs orchestrator_agent_id and last_seq")
                }
                kind = .resume(orchestratorID: id, lastSeq: UInt64(seq), call: call)
            default:
                throw APIError.badRequest("unknown_type", "unknown message type \"\(type.prefix(64))\"; send one of \(Self.types.joined(separator: ", "))")
            }
        } catch {
            throw Rejection(error: error, header: header)
        }
        self.header = header
    }

    /// `request_id` is optional; a string or integer up to 128 characters.
    private static func requestID(_ arguments: ClientArguments) throws(APIError) -> JSONValue? {
        if let number = try? arguments.integer("request_id", in: Int64.min...Int64.max) { return .int(number) }
        guard let text = try arguments.string("request_id") else { return nil }
        guard text.count <= 128 else { throw .badRequest("invalid_request", "request_id may be at most 128 characters") }
        return .string(text)
    }
}
