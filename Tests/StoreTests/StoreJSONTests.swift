import Foundation
import PluginAPI
import StoreModel
import Testing

/// The store's fast JSON path (JSONWriter/JSONReader) and the records'
/// Codable conformances must produce and accept the same JSON.
@Suite struct StoreJSONTests {
    static let awkward = "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00} héllo ✓ 😀 </script>"

    static let chat = ChatMessageRecord(
        id: "0192f5e4-1c2b-7d3e-8f40-123456789abc", orchestratorID: "0192f5e4-1c2b-7d3e-8f40-123456789abd",
        sender: .agent, receiver: .orchestrator, message: awkward, agentID: "0192f5e4-1c2b-7d3e-8f40-123456789abe",
        metadata: .object(["type": .string("text_chunk"), "n": .int(-3), "x": .double(0.5), "ok": .bool(true), "none": .null,
                           "list": .array([.string(awkward), .object([:]), .array([])])]),
        createdAt: "2026-11-26T02:13:59.123456Z", updatedAt: "2026-11-26T02:13:59.123457Z")
    static let orchestrator = OrchestratorRecord(
        id: "0192f5e4-1c2b-7d3e-8f40-123456789abc", sessionID: nil, systemPrompt: awkward, status: "idle", workingDir: nil,
        inputTokens: Int64.max, outputTokens: 0, totalCost: 0.0123456789, archived: false, metadata: .object([:]),
        createdAt: "2026-11-26T02:13:59.123456Z", updatedAt: "2026-11-26T02:13:59.123456Z")
    static let agent = AgentRecord(
        id: "0192f5e4-1c2b-7d3e-8f40-123456789abc", orchestratorID: "0192f5e4-1c2b-7d3e-8f40-123456789abd", name: "builder",
        model: "claude", systemPrompt: nil, workingDir: "/w", status: .needsInput, statusReason: awkward, sessionID: "s", inputTokens: 1, outputTokens: 2,
        totalCost: 1.000050000001, archived: true, metadata: .object(["a": .int(1)]),
        createdAt: "2026-11-26T02:13:59.123456Z", updatedAt: "2026-11-26T02:13:59.123456Z")
    static let agentLog = AgentLogRecord(
        id: "0192f5e4-1c2b-7d3e-8f40-123456789abf", agentID: "0192f5e4-1c2b-7d3e-8f40-123456789abc", seq: 42, turnID: nil,
        eventCategory: "hook", eventType: "PreToolUse", content: awkward, payload: .object(["tool_name": .string("Read")]),
        sessionID: "s", timestamp: "2026-11-26T02:13:59.123456Z")

    static let systemLog = SystemLogRecord(
        id: "0192f5e4-1c2b-7d3e-8f40-123456789ac0", level: "INFO", message: awkward,
        metadata: .object(["turn_id": .string("0192f5e4-1c2b-7d3e-8f40-123456789ac1"), "type": .string("thinking_block")]),
        filePath: nil, timestamp: "2026-11-26T02:13:59.123456Z")

    /// Sorted tables make the store's bytes what `JSON.encode` writes, which lets the host pass a
    /// history page on undecoded (docs/stores.md): the fast writer and the encoder agree byte for byte.
    @Test func recordsWriteTheirFieldsSortedAsTheEncoderDoes() throws {
        #expect(ChatMessageRecord.fields.map(\.key) == ChatMessageRecord.fields.map(\.key).sorted())
        #expect(OrchestratorRecord.fields.map(\.key) == OrchestratorRecord.fields.map(\.key).sorted())
        #expect(AgentRecord.fields.map(\.key) == AgentRecord.fields.map(\.key).sorted())
        #expect(AgentLogRecord.fields.map(\.key) == AgentLogRecord.fields.map(\.key).sorted())
        #expect(AgentLogPage.fields.map(\.key) == AgentLogPage.fields.map(\.key).sorted())
        #expect(AgentsReply.fields.map(\.key) == AgentsReply.fields.map(\.key).sorted())
        #expect(ChatHistoryReply.fields.map(\.key) == ChatHistoryReply.fields.map(\.key).sorted())
        #expect(OrchestratorReply.fields.map(\.key) == OrchestratorReply.fields.map(\.key).sorted())
        #expect(SystemLogRecord.fields.map(\.key) == SystemLogRecord.fields.map(\.key).sorted())
        #expect(SystemLogsReply.fields.map(\.key) == SystemLogsReply.fields.map(\.key).sorted())
        let systemLogs = SystemLogsReply(logs: [Self.systemLog, Self.systemLog], hasMore: true)
        #expect(systemLogs.jsonData == (try JSON.encode(try JSON.decode(JSONValue.self, from: systemLogs.jsonData))))
        let page = ChatHistoryReply(messages: [Self.chat, Self.chat], hasMore: true)
        #expect(page.jsonData == (try JSON.encode(try JSON.decode(JSONValue.self, from: page.jsonData))))
        #expect(Self.agent.jsonData == (try JSON.encode(try JSON.decode(JSONValue.self, from: Self.agent.jsonData))))
        let logs = AgentLogPage(logs: [Self.agentLog, Self.agentLog], hasMore: true, lastSeq: 43)
        #expect(logs.jsonData == (try JSON.encode(try JSON.decode(JSONValue.self, from: logs.jsonData))))
    }

    func roundTrips<Record: JSONWritable & JSONReadable & Codable & Equatable>(_ record: Record) throws {
        // fast writer → Foundation reader
        #expect(try JSONDecoder().decode(Record.self, from: record.jsonData) == record)
        // Foundation writer (which escapes "/" as "\/") → fast reader
        let foundation = try JSONEncoder().encode(record)
        #expect(try JSONReader.read(foundation) { try Record(reading: &$0) } == record)
        // fast → fast
        #expect(try JSONReader.read(record.jsonData) { try Record(reading: &$0) } == record)
    }

    @Test func recordsRoundTripBetweenTheFastPathAndCodable() throws {
        try roundTrips(Self.chat)
        try roundTrips(Self.orchestrator)
        try roundTrips(Self.agent)
        try roundTrips(Self.agentLog)
        try roundTrips(AgentLogPage(logs: [Self.agentLog], hasMore: false, lastSeq: 42))
        try roundTrips(Self.systemLog)
        try roundTrips(SystemLogRecord(id: Self.systemLog.id, level: "ERROR", message: "", metadata: .object([:]), filePath: "main.swift",
                                       timestamp: Self.systemLog.timestamp))
        try roundTrips(SystemLogsReply(logs: [Self.systemLog], hasMore: true))
    }

    /// An agent's status is one of `AgentStatus`: an unknown one is refused by both coders.
    @Test func anUnknownAgentStatusIsRefused() throws {
        let text = String(decoding: Self.agent.jsonData, as: UTF8.self).replacingOccurrences(of: #""needs_input""#, with: #""blocked""#)
        #expect(throws: JSONReader.Failure(description: "\"blocked\" is not an agent status (\(AgentStatus.allowed))")) {
            _ = try JSONReader.read(Data(text.utf8)) { try AgentRecord(reading: &$0) }
        }
        #expect(throws: PluginError.invalid("invalid_status", "\"status\" must be one of starting, idle, running, queued, needs_input, interrupted, failed, stopped, archived; got \"blocked\"")) {
            _ = try JSONDecoder().decode(AgentRecord.self, from: Data(text.utf8))
        }
    }

    @Test func repliesRoundTrip() throws {
        let history = ChatHistoryReply(messages: [Self.chat, Self.chat], hasMore: true)
        let read = try JSONReader.read(history.jsonData) { try ChatHistoryReply(reading: &$0) }
        #expect(read.messages == history.messages && read.hasMore)
        let decoded = try JSONDecoder().decode(ChatHistoryReply.self, from: history.jsonData)
        #expect(decoded.messages == history.messages)
        let created = OrchestratorReply(orchestrator: Self.orchestrator, created: true)
        let back = try JSONReader.read(created.jsonData) { try OrchestratorReply(reading: &$0) }
        #expect(back.orchestrator == Self.orchestrator && back.created == true)
        let plain = try JSONReader.read(OrchestratorReply(orchestrator: Self.orchestrator, created: nil).jsonData) { try OrchestratorReply(reading: &$0) }
        #expect(plain.created == nil)
    }

    /// One field table drives both coders: same keys, absent optionals as null,
    /// and `created` left out when nil, whichever coder writes.
    @Test func bothCodersWriteWhatTheFieldTableSays() throws {
        for data in [Self.orchestrator.jsonData, try JSON.encode(Self.orchestrator)] {
            let fields = try JSONDecoder().decode(JSONValue.self, from: data)
            guard case .object(let members) = fields else { Issue.record("not an object"); continue }
            #expect(members.keys.sorted() == OrchestratorRecord.fields.map(\.key).sorted())
            #expect(members["session_id"] == .null && members["working_dir"] == .null)
        }
        let plain = OrchestratorReply(orchestrator: Self.orchestrator, created: nil)
        for data in [plain.jsonData, try JSON.encode(plain)] {
            #expect(try JSONDecoder().decode(JSONValue.self, from: data)["created"] == nil)
        }
    }

    @Test func theReaderSkipsUnknownFieldsAndDecodesEscapes() throws {
        let text = #"{"newer":{"a":[1,2.5e3,"x",null,true]},"messages":[],"has_more":false,"emoji":"\ud83d\ude00\u00e9\/"}"#
        let reply = try JSONReader.read(Data(text.utf8)) { try ChatHistoryReply(reading: &$0) }
        #expect(reply.messages.isEmpty && !reply.hasMore)
        let value = try JSONReader.read(Data(#"{"s":"\ud83d\ude00\u00e9\/\b\f","n":-12,"d":1e-12,"i":3.0}"#.utf8)) { try $0.value() }
        #expect(value == .object(["s": .string("😀é/\u{08}\u{0C}"), "n": .int(-12), "d": .double(1e-12), "i": .double(3)]))
    }

    @Test func malformedJSONIsAnErrorNotACrash() throws {
        let broken = [#"{"messages":[{"id":"x"}],"has_more":true}"#, #"{"messages":["#, #"{"messages":[],"has_more":tru}"#,
                      #"{"messages":[],"has_more":false} trailing"#, #""unterminated"#, "", #"{"orchestrator":{"id":"\u12"}}"#]
        for text in broken {
            #expect(throws: JSONReader.Failure.self, "\(text)") {
                _ = try JSONReader.read(Data(text.utf8)) { try ChatHistoryReply(reading: &$0) }
            }
        }
        #expect(throws: JSONReader.Failure(description: "the chat message has no \"orchestrator_agent_id\"")) {
            _ = try JSONReader.read(Data(#"{"id":"x","sender_type":"user","receiver_type":"user","message":"","metadata":{},"created_at":"","updated_at":""}"#.utf8)) {
                try ChatMessageRecord(reading: &$0)
            }
        }
    }
}
