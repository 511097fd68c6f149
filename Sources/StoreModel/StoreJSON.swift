import Foundation
import PluginAPI

// The records and replies of the store operations, written and read with
// `JSONWriter`/`JSONReader` (the hot path of the ABI), with the key names of
// their `CodingKeys`. Their `Codable` conformances produce the same JSON; a
// test holds the two to each other.

extension OrchestratorRecord: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key(CodingKeys.id); writer.string(id)
            writer.key(CodingKeys.sessionID); writer.string(sessionID)
            writer.key(CodingKeys.systemPrompt); writer.string(systemPrompt)
            writer.key(CodingKeys.status); writer.string(status)
            writer.key(CodingKeys.workingDir); writer.string(workingDir)
            writer.key(CodingKeys.inputTokens); writer.number(inputTokens)
            writer.key(CodingKeys.outputTokens); writer.number(outputTokens)
            writer.key(CodingKeys.totalCost); writer.number(totalCost)
            writer.key(CodingKeys.archived); writer.bool(archived)
            writer.key(CodingKeys.metadata); writer.value(metadata)
            writer.key(CodingKeys.createdAt); writer.string(createdAt)
            writer.key(CodingKeys.updatedAt); writer.string(updatedAt)
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var id: String?, status: String?, createdAt: String?, updatedAt: String?
        var sessionID: String?, systemPrompt: String?, workingDir: String?
        var inputTokens: Int64?, outputTokens: Int64?, totalCost: Double?, archived: Bool?, metadata: JSONValue?
        try reader.object { reader, name in
            switch CodingKeys(rawValue: name) {
            case .id?: id = try reader.string()
            case .sessionID?: sessionID = try reader.optionalString()
            case .systemPrompt?: systemPrompt = try reader.optionalString()
            case .status?: status = try reader.string()
            case .workingDir?: workingDir = try reader.optionalString()
            case .inputTokens?: inputTokens = try reader.int64()
            case .outputTokens?: outputTokens = try reader.int64()
            case .totalCost?: totalCost = try reader.double()
            case .archived?: archived = try reader.bool()
            case .metadata?: metadata = try reader.value()
            case .createdAt?: createdAt = try reader.string()
            case .updatedAt?: updatedAt = try reader.string()
            case nil: try reader.skip()
            }
        }
        func required<T>(_ value: T?, _ key: CodingKeys) throws -> T { try JSONReader.required(value, key, in: "orchestrator") }
        self.init(id: try required(id, .id), sessionID: sessionID, systemPrompt: systemPrompt, status: try required(status, .status),
                  workingDir: workingDir, inputTokens: try required(inputTokens, .inputTokens),
                  outputTokens: try required(outputTokens, .outputTokens), totalCost: try required(totalCost, .totalCost),
                  archived: try required(archived, .archived), metadata: try required(metadata, .metadata),
                  createdAt: try required(createdAt, .createdAt), updatedAt: try required(updatedAt, .updatedAt))
    }
}

extension ChatMessageRecord: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key(CodingKeys.id); writer.string(id)
            writer.key(CodingKeys.orchestratorID); writer.string(orchestratorID)
            writer.key(CodingKeys.sender); writer.string(sender.rawValue)
            writer.key(CodingKeys.receiver); writer.string(receiver.rawValue)
            writer.key(CodingKeys.message); writer.string(message)
            writer.key(CodingKeys.agentID); writer.string(agentID)
            writer.key(CodingKeys.metadata); writer.value(metadata)
            writer.key(CodingKeys.createdAt); writer.string(createdAt)
            writer.key(CodingKeys.updatedAt); writer.string(updatedAt)
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var id: String?, orchestratorID: String?, message: String?, createdAt: String?, updatedAt: String?
        var sender: Party?, receiver: Party?, agentID: String?, metadata: JSONValue?
        try reader.object { reader, name in
            switch CodingKeys(rawValue: name) {
            case .id?: id = try reader.string()
            case .orchestratorID?: orchestratorID = try reader.string()
            case .sender?: sender = try reader.party(CodingKeys.sender)
            case .receiver?: receiver = try reader.party(CodingKeys.receiver)
            case .message?: message = try reader.string()
            case .agentID?: agentID = try reader.optionalString()
            case .metadata?: metadata = try reader.value()
            case .createdAt?: createdAt = try reader.string()
            case .updatedAt?: updatedAt = try reader.string()
            case nil: try reader.skip()
            }
        }
        func required<T>(_ value: T?, _ key: CodingKeys) throws -> T { try JSONReader.required(value, key, in: "chat message") }
        self.init(id: try required(id, .id), orchestratorID: try required(orchestratorID, .orchestratorID),
                  sender: try required(sender, .sender), receiver: try required(receiver, .receiver),
                  message: try required(message, .message), agentID: agentID, metadata: try required(metadata, .metadata),
                  createdAt: try required(createdAt, .createdAt), updatedAt: try required(updatedAt, .updatedAt))
    }
}

extension AgentRecord: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key(CodingKeys.id); writer.string(id)
            writer.key(CodingKeys.orchestratorID); writer.string(orchestratorID)
            writer.key(CodingKeys.name); writer.string(name)
            writer.key(CodingKeys.model); writer.string(model)
            writer.key(CodingKeys.systemPrompt); writer.string(systemPrompt)
            writer.key(CodingKeys.workingDir); writer.string(workingDir)
            writer.key(CodingKeys.status); writer.string(status)
            writer.key(CodingKeys.sessionID); writer.string(sessionID)
            writer.key(CodingKeys.inputTokens); writer.number(inputTokens)
            writer.key(CodingKeys.outputTokens); writer.number(outputTokens)
            writer.key(CodingKeys.totalCost); writer.number(totalCost)
            writer.key(CodingKeys.archived); writer.bool(archived)
            writer.key(CodingKeys.metadata); writer.value(metadata)
            writer.key(CodingKeys.createdAt); writer.string(createdAt)
            writer.key(CodingKeys.updatedAt); writer.string(updatedAt)
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var id: String?, orchestratorID: String?, name: String?, model: String?, status: String?, createdAt: String?, updatedAt: String?
        var systemPrompt: String?, workingDir: String?, sessionID: String?
        var inputTokens: Int64?, outputTokens: Int64?, totalCost: Double?, archived: Bool?, metadata: JSONValue?
        try reader.object { reader, key in
            switch CodingKeys(rawValue: key) {
            case .id?: id = try reader.string()
            case .orchestratorID?: orchestratorID = try reader.string()
            case .name?: name = try reader.string()
            case .model?: model = try reader.string()
            case .systemPrompt?: systemPrompt = try reader.optionalString()
            case .workingDir?: workingDir = try reader.optionalString()
            case .status?: status = try reader.string()
            case .sessionID?: sessionID = try reader.optionalString()
            case .inputTokens?: inputTokens = try reader.int64()
            case .outputTokens?: outputTokens = try reader.int64()
            case .totalCost?: totalCost = try reader.double()
            case .archived?: archived = try reader.bool()
            case .metadata?: metadata = try reader.value()
            case .createdAt?: createdAt = try reader.string()
            case .updatedAt?: updatedAt = try reader.string()
            case nil: try reader.skip()
            }
        }
        func required<T>(_ value: T?, _ key: CodingKeys) throws -> T { try JSONReader.required(value, key, in: "agent") }
        self.init(id: try required(id, .id), orchestratorID: try required(orchestratorID, .orchestratorID),
                  name: try required(name, .name), model: try required(model, .model), systemPrompt: systemPrompt,
                  workingDir: workingDir, status: try required(status, .status), sessionID: sessionID,
                  inputTokens: try required(inputTokens, .inputTokens), outputTokens: try required(outputTokens, .outputTokens),
                  totalCost: try required(totalCost, .totalCost), archived: try required(archived, .archived),
                  metadata: try required(metadata, .metadata), createdAt: try required(createdAt, .createdAt),
                  updatedAt: try required(updatedAt, .updatedAt))
    }
}

extension OrchestratorReply: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("orchestrator"); orchestrator.write(to: &writer)
            if let created { writer.key("created"); writer.bool(created) }
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var orchestrator: OrchestratorRecord?, created: Bool?
        try reader.object { reader, key in
            switch key {
            case "orchestrator": orchestrator = try OrchestratorRecord(reading: &reader)
            case "created": created = try reader.bool()
            default: try reader.skip()
            }
        }
        guard let orchestrator else { throw JSONReader.Failure(description: "the reply has no \"orchestrator\"") }
        self.init(orchestrator: orchestrator, created: created)
    }
}

extension ChatMessageReply: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("message"); message.write(to: &writer)
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var message: ChatMessageRecord?
        try reader.object { reader, key in
            if key == "message" { message = try ChatMessageRecord(reading: &reader) } else { try reader.skip() }
        }
        guard let message else { throw JSONReader.Failure(description: "the reply has no \"message\"") }
        self.init(message: message)
    }
}

extension ChatHistoryReply: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key(CodingKeys.messages); writer.array { writer in messages.forEach { $0.write(to: &writer) } }
            writer.key(CodingKeys.hasMore); writer.bool(hasMore)
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var messages: [ChatMessageRecord]?, hasMore: Bool?
        try reader.object { reader, key in
            switch CodingKeys(rawValue: key) {
            case .messages?:
                var read: [ChatMessageRecord] = []
                try reader.array { read.append(try ChatMessageRecord(reading: &$0)) }
                messages = read
            case .hasMore?: hasMore = try reader.bool()
            case nil: try reader.skip()
            }
        }
        guard let messages, let hasMore else { throw JSONReader.Failure(description: "the reply lacks \"messages\" or \"has_more\"") }
        self.init(messages: messages, hasMore: hasMore)
    }
}

extension AgentReply: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("agent"); agent.write(to: &writer)
        }
    }

    public init(reading reader: inout JSONReader) throws {
        var agent: AgentRecord?
        try reader.object { reader, key in
            if key == "agent" { agent = try AgentRecord(reading: &reader) } else { try reader.skip() }
        }
        guard let agent else { throw JSONReader.Failure(description: "the reply has no \"agent\"") }
        self.init(agent: agent)
    }
}

extension JSONReader {
    /// A field a record cannot do without; the error names it.
    fileprivate static func required<T, Key: CodingKey>(_ value: T?, _ key: Key, in record: String) throws -> T {
        guard let value else { throw Failure(description: "the \(record) has no \"\(key.stringValue)\"") }
        return value
    }

    fileprivate mutating func party<Key: CodingKey>(_ key: Key) throws -> Party {
        let text = try string()
        guard let party = Party(rawValue: text) else { throw Failure(description: "\"\(key.stringValue)\" is not a party: \"\(text)\"") }
        return party
    }
}
