import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import StoreModel
import Testing

/// The store contract of docs/protocol.md, written once and run against
/// every store plugin, through the ABI: each test loads the built library with
/// the host's loader and talks to it with `StoreClient.api` (or raw JSON for
/// what the typed API cannot say). Serialized, so each test can check that it
/// left every table with the row count it found (see `withStore`).
@Suite(.storeEnvironment, .serialized)
struct StoreConformanceTests {
    // MARK: - Health and orchestrators

    @Test(arguments: StoreKind.allCases)
    func healthNamesTheStoreAndItsSchema(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let health = try await store.api.health()
            #expect(health.ok)
            #expect(health.store == kind.rawValue)
            #expect(health.schemaVersion == 5)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func getOrCreateMakesTheSingletonOnceAndAFreshStartReusesIt(_ kind: StoreKind) async throws {
        let environment = try environment()
        try await environment.withStore(kind) { store in
            let (made, created) = try await store.api.getOrCreateOrchestrator(systemPrompt: "You orchestrate.", workingDir: "/srv/work")
            #expect(created)
            #expect(isUUID(made.id))
            #expect(made.systemPrompt == "You orchestrate.")
            #expect(made.workingDir == "/srv/work")
            #expect(made.sessionID == nil)
            #expect(made.status == "idle")
            #expect(made.inputTokens == 0 && made.outputTokens == 0 && made.totalCost == 0)
            #expect(made.archived == false)
            #expect(made.metadata == .object([:]))
            #expect(isTimestamp(made.createdAt) && made.createdAt == made.updatedAt)

            let (again, createdAgain) = try await store.api.getOrCreateOrchestrator(systemPrompt: "ignored", workingDir: nil)
            #expect(!createdAgain)
            #expect(again == made)

            // A fresh start: another instance of the plugin on the same database.
            let restarted = try environment.open(kind)
            let (reused, createdByRestart) = try await restarted.api.getOrCreateOrchestrator()
            await restarted.ref.destroy()
            #expect(!createdByRestart)
            #expect(reused.id == made.id)

            #expect(try await store.diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentGetOrCreateMakesExactlyOneOrchestrator(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let results = try await withThrowingTaskGroup(of: (OrchestratorRecord, Bool).self) { group in
                for _ in 0..<16 { group.addTask { try await api.getOrCreateOrchestrator() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter(\.1).count == 1)
            #expect(Set(results.map(\.0.id)).count == 1)
            #expect(try await diagnostics.deleteOrchestrator(id: results[0].0.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func orchestratorsAreFoundByIDAndBySession(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator(systemPrompt: "p", metadata: .object(["team": .string("core")]))
            #expect(made.metadata == .object(["team": .string("core")]))
            #expect(try await api.orchestrator(id: made.id) == made)
            #expect(try await api.orchestrator(id: made.id.uppercased()) == made, "ids are matched in canonical form")

            let session = "session-\(UUID().uuidString)"
            let updated = try await api.updateSession(orchestratorID: made.id, sessionID: session)
            #expect(updated.sessionID == session)
            #expect(updated.createdAt == made.createdAt)
            #expect(updated.updatedAt > made.updatedAt, "updated_at is maintained on every update")
            #expect(try await api.orchestrator(sessionID: session) == updated)

            let other = try await diagnostics.createOrchestrator()
            await expectError(.init(.conflict, code: "session_in_use", "session_id \"\(session)\" already belongs to another orchestrator; a Claude session continues one orchestrator only")) {
                _ = try await api.updateSession(orchestratorID: other.id, sessionID: session)
            }
            let missing = absentID()
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.orchestrator(id: missing)
            }
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.updateSession(orchestratorID: missing, sessionID: "s")
            }
            await expectError(.notFound("unknown_session", "no active (non-archived) orchestrator has session_id \"nope\"; start without a session to get a fresh one")) {
                _ = try await api.orchestrator(sessionID: "nope")
            }
            await expectError(.invalid("invalid_uuid", "id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"not-a-uuid\"")) {
                _ = try await api.orchestrator(id: "not-a-uuid")
            }
            await expectError(.invalid("empty_session_id", "\"session_id\" must not be empty")) {
                _ = try await api.updateSession(orchestratorID: made.id, sessionID: "")
            }
            await expectError(.invalid("invalid_metadata", "\"metadata\" must be a JSON object; got an array")) {
                _ = try await diagnostics.createOrchestrator(metadata: .array([]))
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
            #expect(try await diagnostics.deleteOrchestrator(id: other.id))
            #expect(try await diagnostics.deleteOrchestrator(id: made.id) == false, "a second delete finds nothing")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func statusTakesOnlyTheKnownValues(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            var previous = made
            for status in ["executing", "waiting", "blocked", "complete", "idle"] {
                let updated = try await api.setStatus(orchestratorID: made.id, status: status)
                #expect(updated.status == status)
                #expect(updated.updatedAt > previous.updatedAt)
                previous = updated
            }
            await expectError(.invalid("invalid_status", "\"status\" must be one of idle, executing, waiting, blocked, complete; got \"sleeping\"")) {
                _ = try await api.setStatus(orchestratorID: made.id, status: "sleeping")
            }
            let missing = absentID()
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.setStatus(orchestratorID: missing, status: "idle")
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    /// The engine records the running turn in `status_detail`, so a restart finds a turn a crash cut off.
    @Test(arguments: StoreKind.allCases)
    func statusDetailIsKeptBesideTheOtherMetadataAndRemovedWithNil(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator(metadata: ["origin": "test"])
            let detail: JSONValue = ["turn_id": "01a2", "note": "ünïcode"]
            let running = try await api.setStatus(orchestratorID: made.id, status: "executing", detail: detail)
            #expect(running.metadata == ["origin": "test", "status_detail": detail])
            #expect(try await api.orchestrator(id: made.id).metadata == running.metadata, "the detail is saved, not only returned")
            let idle = try await api.setStatus(orchestratorID: made.id, status: "idle")
            #expect(idle.metadata == ["origin": "test"])
            await expectError(.invalid("invalid_metadata", "\"detail\" must be a JSON object; got a string")) {
                _ = try await api.setStatus(orchestratorID: made.id, status: "idle", detail: "running")
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    // MARK: - Usage

    @Test(arguments: StoreKind.allCases)
    func hundredConcurrentUsageAddsSumExactly(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask { _ = try await api.addUsage(orchestratorID: made.id, inputTokens: 3, outputTokens: 5, costUSD: 0.000123456789) }
                }
                try await group.waitForAll()
            }
            let summed = try await api.orchestrator(id: made.id)
            #expect(summed.inputTokens == 300)
            #expect(summed.outputTokens == 500)
            #expect(summed.totalCost == 0.0123456789, "100 × 0.000123456789, to the last of 12 decimals")
            #expect(summed.updatedAt > made.updatedAt)
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func costsAreKeptExactlyWithoutPerTurnRounding(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            // In binary floating point ten 0.1s make 0.9999999999999999; the original's DECIMAL(10,4) made 0.00005 vanish.
            for _ in 0..<10 { _ = try await api.addUsage(orchestratorID: made.id, inputTokens: 0, outputTokens: 0, costUSD: 0.1) }
            let tenth = try await api.addUsage(orchestratorID: made.id, inputTokens: 0, outputTokens: 0, costUSD: 0.00005)
            let last = try await api.addUsage(orchestratorID: made.id, inputTokens: 1, outputTokens: 2, costUSD: 0.000000000001)
            #expect(tenth.totalCost == 1.00005)
            #expect(last.totalCost == 1.000050000001)
            #expect(last.inputTokens == 1 && last.outputTokens == 2)

            await expectError(.invalid("invalid_usage", "\"input_tokens\" must be a token count between 0 and 1000000000000; got -1")) {
                _ = try await api.addUsage(orchestratorID: made.id, inputTokens: -1, outputTokens: 0, costUSD: 0)
            }
            await expectError(.invalid("invalid_usage", "\"cost_usd\" must be a number of US dollars between 0 and 1000000.0; got -0.5")) {
                _ = try await api.addUsage(orchestratorID: made.id, inputTokens: 0, outputTokens: 0, costUSD: -0.5)
            }
            await expectError(.invalid("invalid_usage", "\"cost_usd\" must be a number of US dollars between 0 and 1000000.0; got 2000000.0")) {
                _ = try await api.addUsage(orchestratorID: made.id, inputTokens: 0, outputTokens: 0, costUSD: 2_000_000)
            }
            let missing = absentID()
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.addUsage(orchestratorID: missing, inputTokens: 1, outputTokens: 1, costUSD: 0.01)
            }
            #expect(try await api.orchestrator(id: made.id).totalCost == 1.000050000001, "refused adds changed nothing")
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    // MARK: - Chat messages

    @Test(arguments: StoreKind.allCases)
    func everySenderAndReceiverCombinationFollowsTheAgentRule(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "builder", model: "claude-sonnet")
            var inserted = 0
            for sender in Party.allCases {
                for receiver in Party.allCases {
                    let involvesAgent = sender == .agent || receiver == .agent
                    let text = "\(sender.rawValue) to \(receiver.rawValue)"
                    if involvesAgent {
                        let record = try await api.insertChat(.init(orchestratorID: made.id, sender: sender, receiver: receiver, message: text, agentID: agent.id))
                        #expect(record.agentID == agent.id)
                        #expect(record.sender == sender && record.receiver == receiver && record.message == text)
                        await expectError(.invalid("agent_id_required", "a message \(sender.rawValue) → \(receiver.rawValue) involves an agent, so \"agent_id\" must name it")) {
                            _ = try await api.insertChat(.init(orchestratorID: made.id, sender: sender, receiver: receiver, message: text))
                        }
                    } else {
                        let record = try await api.insertChat(.init(orchestratorID: made.id, sender: sender, receiver: receiver, message: text))
                        #expect(record.agentID == nil)
                        #expect(record.sender == sender && record.receiver == receiver && record.message == text)
                        await expectError(.invalid("agent_id_forbidden", "a message \(sender.rawValue) → \(receiver.rawValue) involves no agent, so \"agent_id\" must be absent; got \(agent.id)")) {
                            _ = try await api.insertChat(.init(orchestratorID: made.id, sender: sender, receiver: receiver, message: text, agentID: agent.id))
                        }
                    }
                    inserted += 1
                }
            }
            #expect(try await api.turnCount(orchestratorID: made.id) == inserted)
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func insertChatKeepsWhatItWasGivenAndRefusesBadInput(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            let chosen = absentID()
            let metadata: JSONValue = .object(["type": .string("text_chunk"), "n": .int(1), "nested": .object(["a": .array([.bool(true), .null])])])
            let record = try await api.insertChat(.init(orchestratorID: made.id, sender: .orchestrator, receiver: .user,
                                                        message: "héllo ✓ \"quoted\" 'single' \\ back", metadata: metadata, id: chosen.uppercased()))
            #expect(record.id == chosen)
            #expect(record.orchestratorID == made.id)
            #expect(record.message == "héllo ✓ \"quoted\" 'single' \\ back")
            #expect(record.metadata == metadata)
            #expect(isTimestamp(record.createdAt) && record.createdAt == record.updatedAt)
            let plain = try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: ""))
            #expect(isUUID(plain.id) && plain.metadata == .object([:]) && plain.message.isEmpty)

            await expectError(.init(.conflict, code: "duplicate_id", "a chat message with id \(chosen) already exists; omit \"id\" to let the store choose one")) {
                _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: "again", id: chosen))
            }
            let missing = absentID()
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.insertChat(.init(orchestratorID: missing, sender: .user, receiver: .orchestrator, message: "x"))
            }
            await expectError(.notFound("unknown_agent", "no agent has id \(missing); create it with insert_agent first")) {
                _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .agent, receiver: .orchestrator, message: "x", agentID: missing))
            }
            await expectError(.invalid("invalid_uuid", "agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"agent-7\"")) {
                _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .agent, receiver: .orchestrator, message: "x", agentID: "agent-7"))
            }
            await expectError(.invalid("invalid_metadata", "\"metadata\" must be a JSON object; got a string")) {
                _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: "x", metadata: .string("{}")))
            }
            await expectError(.invalid("invalid_sender", "\"sender_type\" must be one of user, orchestrator, agent; got \"robot\"")) {
                try await store.raw(["op": .string("insert_chat"), "orchestrator_agent_id": .string(made.id), "sender_type": .string("robot"),
                                     "receiver_type": .string("user"), "message": .string("x")])
            }
            await expectError(.invalid("invalid_sender", "\"receiver_type\" must be one of user, orchestrator, agent; got \"everyone\"")) {
                try await store.raw(["op": .string("insert_chat"), "orchestrator_agent_id": .string(made.id), "sender_type": .string("user"),
                                     "receiver_type": .string("everyone"), "message": .string("x")])
            }
            await expectError(.invalid("invalid_request", "insert_chat: missing field \"message\"")) {
                try await store.raw(["op": .string("insert_chat"), "orchestrator_agent_id": .string(made.id), "sender_type": .string("user"), "receiver_type": .string("orchestrator")])
            }
            #expect(try await api.turnCount(orchestratorID: made.id) == 2, "refused inserts wrote nothing")
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    /// A queued message takes its place when its turn starts: moved to the end, same id, paging intact.
    @Test(arguments: StoreKind.allCases)
    func aMessageMovedToTheEndKeepsItsIdAndPagingStillWorks(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let orchestrator = try await store.diagnostics.createOrchestrator()
            func say(_ text: String, _ sender: Party) async throws -> ChatMessageRecord {
                try await store.api.insertChat(NewChatMessage(orchestratorID: orchestrator.id, sender: sender,
                                                              receiver: sender == .user ? .orchestrator : .user, message: text))
            }
            let first = try await say("user1", .user), queued = try await say("user2", .user), reply = try await say("reply1", .orchestrator)
            #expect(try await store.api.moveChatToEnd(orchestratorID: orchestrator.id, id: queued.id))
            let history = try await store.api.chatHistory(orchestratorID: orchestrator.id).messages
            #expect(history.map(\.message) == ["user1", "reply1", "user2"])
            #expect(history.map(\.id) == [first.id, reply.id, queued.id])
            #expect(try await store.api.turnCount(orchestratorID: orchestrator.id) == 3, "a move is not another row")
            #expect(try await store.api.moveChatToEnd(orchestratorID: orchestrator.id, id: queued.id) == false, "already last")
            let page = try await store.api.chatHistory(orchestratorID: orchestrator.id, limit: 1, before: queued.id)
            #expect(page.messages.map(\.message) == ["reply1"] && page.hasMore)
            let other = try await store.diagnostics.createOrchestrator()
            await expectError(StoreError.unknownMessageToMove(first.id, orchestratorID: other.id)) {
                _ = try await store.api.moveChatToEnd(orchestratorID: other.id, id: first.id)
            }
            await expectError(.invalid("invalid_uuid", "id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"nope\"")) {
                _ = try await store.api.moveChatToEnd(orchestratorID: orchestrator.id, id: "nope")
            }
            _ = try await store.diagnostics.deleteOrchestrator(id: orchestrator.id)
            _ = try await store.diagnostics.deleteOrchestrator(id: other.id)
        }
    }

    /// Every Unicode scalar survives byte for byte, U+0000 and the store's own escapes included:
    /// seeded random messages, saved and read back through history.
    @Test(arguments: StoreKind.allCases)
    func everyUnicodeScalarSurvivesByteForByte(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let orchestrator = try await store.diagnostics.createOrchestrator()
            var random = SeededRandom(seed: 0x0DDC0FFEE)
            let tricky: [Unicode.Scalar] = ["\u{0}", "\u{E000}", "\u{E000}", "0", "\u{1}", "\u{7F}", "\u{2028}", "\\", "\"", "'", "\u{FFFD}", "\u{10FFFF}"]
            func scalar() -> Unicode.Scalar {
                if Bool.random(using: &random) { return tricky.randomElement(using: &random)! }
                while true { if let scalar = Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &random)) { return scalar } }
            }
            var sent: [String] = ["\u{0}", "\u{E000}0", "a\u{0}\u{0}b\u{E000}\u{E000}\u{0}", "\u{E000}"]
            for _ in 0..<60 {
                var text = String.UnicodeScalarView()
                for _ in 0..<Int.random(in: 1...40, using: &random) { text.append(scalar()) }
                sent.append(String(text))
            }
            for text in sent {
                let saved = try await store.api.insertChat(NewChatMessage(orchestratorID: orchestrator.id, sender: .user, receiver: .orchestrator, message: text))
                #expect(Array(saved.message.utf8) == Array(text.utf8))
            }
            let history = try await store.api.chatHistory(orchestratorID: orchestrator.id, limit: 1000).messages.map(\.message)
            #expect(history.map { Array($0.utf8) } == sent.map { Array($0.utf8) })
            _ = try await store.diagnostics.deleteOrchestrator(id: orchestrator.id)
        }
    }

    // MARK: - History

    @Test(arguments: StoreKind.allCases)
    func historyIsChronologicalNewestFirstLimitedAndPagedByCursor(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            let other = try await diagnostics.createOrchestrator()
            let otherMessage = try await api.insertChat(.init(orchestratorID: other.id, sender: .user, receiver: .orchestrator, message: "elsewhere"))
            // Written back to back, many within one millisecond: order must still be insertion order.
            var written: [ChatMessageRecord] = []
            for index in 0..<120 {
                let fromUser = index % 2 == 0
                written.append(try await api.insertChat(.init(orchestratorID: made.id, sender: fromUser ? .user : .orchestrator,
                                                              receiver: fromUser ? .orchestrator : .user, message: "m\(index)")))
            }
            #expect(zip(written, written.dropFirst()).allSatisfy { $0.createdAt < $1.createdAt }, "timestamps order rows below a millisecond")

            let latest = try await api.chatHistory(orchestratorID: made.id)
            #expect(latest.messages == Array(written.suffix(50)), "default limit 50: the newest, oldest first")
            #expect(latest.hasMore)
            let ten = try await api.chatHistory(orchestratorID: made.id, limit: 10)
            #expect(ten.messages.map(\.message) == (110..<120).map { "m\($0)" })

            var pages: [[ChatMessageRecord]] = []
            var cursor: String?
            var more = true
            while more {
                let page = try await api.chatHistory(orchestratorID: made.id, limit: 25, before: cursor)
                pages.append(page.messages)
                cursor = page.messages.first?.id
                more = page.hasMore
            }
            #expect(pages.map(\.count) == [25, 25, 25, 25, 20])
            #expect(pages.reversed().flatMap { $0 } == written, "paging backwards by `before` visits every row once")
            let exact = try await api.chatHistory(orchestratorID: made.id, limit: 20, before: written[20].id)
            #expect(exact.messages == Array(written[0..<20]) && !exact.hasMore)
            let everything = try await api.chatHistory(orchestratorID: made.id, limit: 1000)
            #expect(everything.messages == written && !everything.hasMore)

            let empty = try await diagnostics.createOrchestrator()
            let nothing = try await api.chatHistory(orchestratorID: empty.id)
            #expect(nothing.messages.isEmpty && !nothing.hasMore)

            await expectError(.invalid("invalid_limit", "\"limit\" must be between 1 and 1000; got 0")) {
                _ = try await api.chatHistory(orchestratorID: made.id, limit: 0)
            }
            await expectError(.invalid("invalid_limit", "\"limit\" must be between 1 and 1000; got 1001")) {
                _ = try await api.chatHistory(orchestratorID: made.id, limit: 1001)
            }
            let missing = absentID()
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.chatHistory(orchestratorID: missing)
            }
            await expectError(.notFound("unknown_message", "\"before\" names message \(otherMessage.id), which is not a chat message of orchestrator \(made.id); pass an id from an earlier chat_history reply")) {
                _ = try await api.chatHistory(orchestratorID: made.id, before: otherMessage.id)
            }
            await expectError(.invalid("invalid_uuid", "before must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"last\"")) {
                _ = try await api.chatHistory(orchestratorID: made.id, before: "last")
            }
            for id in [made.id, other.id, empty.id] { #expect(try await diagnostics.deleteOrchestrator(id: id)) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentWritersAndReadersKeepOneInsertionOrder(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for index in 0..<25 {
                            _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: "w\(writer)-\(index)"))
                        }
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<25 { _ = try await api.chatHistory(orchestratorID: made.id, limit: 50) }
                    }
                }
                try await group.waitForAll()
            }
            let all = try await api.chatHistory(orchestratorID: made.id, limit: 1000).messages
            #expect(all.count == 200)
            #expect(try await api.turnCount(orchestratorID: made.id) == 200)
            for writer in 0..<8 {
                let own = all.map(\.message).filter { $0.hasPrefix("w\(writer)-") }
                #expect(own == (0..<25).map { "w\(writer)-\($0)" }, "each writer's rows appear in the order it wrote them")
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func historyIsAnIndexRangeScan(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let first = try await diagnostics.createOrchestrator()
            let second = try await diagnostics.createOrchestrator()
            #expect(try await diagnostics.bulkInsertChat(orchestratorID: first.id, count: 10_000) == 10_000)
            #expect(try await diagnostics.bulkInsertChat(orchestratorID: second.id, count: 10_000) == 10_000)
            let plan = try await diagnostics.explainChatHistory(orchestratorID: first.id)
            #expect(plan.contains("idx_orchestrator_chat_orch_seq"), "plan: \(plan)")
            switch kind {
            case .postgres:
                #expect(plan.contains("Index Scan Backward using idx_orchestrator_chat_orch_seq"), "plan: \(plan)")
                #expect(!plan.contains("Seq Scan") && !plan.contains("Sort"), "plan: \(plan)")
            case .sqlite:
                #expect(plan.contains("SEARCH orchestrator_chat USING INDEX idx_orchestrator_chat_orch_seq"), "plan: \(plan)")
                #expect(!plan.contains("TEMP B-TREE"), "no sort step: \(plan)")
            }
            let latest = try await api.chatHistory(orchestratorID: first.id, limit: 50)
            #expect(latest.messages.count == 50 && latest.hasMore)
            #expect(latest.messages.last?.message.hasPrefix("seeded message 10000: ") == true)
            #expect(try await api.turnCount(orchestratorID: second.id) == 10_000)
            await expectError(.invalid("invalid_count", "\"count\" must be between 1 and 1000000; got 0")) {
                _ = try await diagnostics.bulkInsertChat(orchestratorID: first.id, count: 0)
            }
            #expect(try await diagnostics.deleteOrchestrator(id: first.id))
            #expect(try await diagnostics.deleteOrchestrator(id: second.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func turnCountIsTheNumberOfChatRows(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let made = try await diagnostics.createOrchestrator()
            #expect(try await api.turnCount(orchestratorID: made.id) == 0)
            for index in 0..<7 {
                _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: "\(index)"))
            }
            #expect(try await api.turnCount(orchestratorID: made.id) == 7)
            #expect(try await api.turnCount(orchestratorID: absentID()) == 0, "an unknown orchestrator has had no turns")
            await expectError(.invalid("invalid_uuid", "orchestrator_agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"7\"")) {
                _ = try await api.turnCount(orchestratorID: "7")
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    // MARK: - Writes that arrive together

    /// Many callers write at once, so the store's writer commits their rows in
    /// shared transactions; every third write of each is bad. A bad row must
    /// fail alone with its own error, and every good row be saved, each chat's
    /// rows in the order its caller sent them (a move to the end included).
    @Test(arguments: StoreKind.allCases)
    func concurrentWritesWithBadOnesAmongThemFailAloneAndKeepEachChatsOrder(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let before = try await diagnostics.rowCounts()
            let shared = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: shared.id, name: "worker", model: "claude-sonnet")
            let taken = try await api.insertChat(.init(orchestratorID: shared.id, sender: .user, receiver: .orchestrator, message: "taken"))
            var chats: [String] = []
            for _ in 0..<32 { chats.append(try await diagnostics.createOrchestrator().id) }
            let rounds = 12

            let expected = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
                for (writer, chat) in chats.enumerated() {
                    group.addTask {
                        var sent: [String] = []
                        for round in 0..<rounds {
                            let text = "writer \(writer) round \(round)"
                            switch round % 3 {
                            case 0:
                                sent.append(try await api.insertChat(.init(orchestratorID: chat, sender: .user, receiver: .orchestrator, message: text)).id)
                            case 1:
                                let missing = absentID()
                                await expectError(.notFound("unknown_agent", "no agent has id \(missing); create it with insert_agent first")) {
                                    _ = try await api.insertChat(.init(orchestratorID: chat, sender: .agent, receiver: .orchestrator, message: text, agentID: missing))
                                }
                                _ = try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "PostToolUse", content: text)
                            default:
                                await expectError(.init(.conflict, code: "duplicate_id", "a chat message with id \(taken.id) already exists; omit \"id\" to let the store choose one")) {
                                    _ = try await api.insertChat(.init(orchestratorID: chat, sender: .user, receiver: .orchestrator, message: text, id: taken.id))
                                }
                                let missing = absentID()
                                await expectError(.notFound("unknown_agent", "no agent has id \(missing); create it with insert_agent first")) {
                                    _ = try await api.insertAgentLog(agentID: missing, eventCategory: "hook", eventType: "Stop")
                                }
                                sent.append(try await api.insertChat(.init(orchestratorID: chat, sender: .orchestrator, receiver: .user, message: text)).id)
                            }
                        }
                        #expect(try await api.moveChatToEnd(orchestratorID: chat, id: sent[0]))
                        return (chat, Array(sent.dropFirst()) + [sent[0]])
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }

            for chat in chats {
                let saved = try await api.chatHistory(orchestratorID: chat, limit: 100)
                #expect(saved.messages.map(\.id) == expected[chat], "chat \(chat) holds exactly its good rows, in the order sent")
            }
            #expect(try await api.chatHistory(orchestratorID: shared.id).messages == [taken], "no bad row slipped in")
            let during = try await diagnostics.rowCounts()
            #expect(during["agent_logs"] == (before["agent_logs"] ?? 0) + chats.count * rounds / 3)
            #expect(during["orchestrator_chat"] == (before["orchestrator_chat"] ?? 0) + 1 + chats.count * rounds * 2 / 3)
            for id in chats + [shared.id] { #expect(try await diagnostics.deleteOrchestrator(id: id)) }
        }
    }

    /// Large rows arriving together (more than a store sends in one round trip) are saved whole, each once.
    @Test(arguments: StoreKind.allCases)
    func largeRowsArrivingTogetherAreSavedWhole(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let made = try await store.diagnostics.createOrchestrator()
            let texts = (0..<24).map { String(repeating: "row \($0) ✓ ", count: 6_000) }
            let saved = try await withThrowingTaskGroup(of: ChatMessageRecord.self) { group in
                for text in texts {
                    group.addTask { try await api.insertChat(.init(orchestratorID: made.id, sender: .user, receiver: .orchestrator, message: text)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let history = try await api.chatHistory(orchestratorID: made.id, limit: 100).messages
            #expect(history.count == texts.count)
            #expect(Set(history.map(\.message)) == Set(texts))
            #expect(Set(history.map(\.id)) == Set(saved.map(\.id)))
            #expect(try await store.diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    // MARK: - Agents, logs, deletes

    @Test(arguments: StoreKind.allCases)
    func agentsAndTheirLogsCascadeWithTheirOrchestrator(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            let before = try await diagnostics.rowCounts()
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "reviewer", model: "claude-opus", systemPrompt: "review",
                                                  workingDir: "/w", metadata: .object(["template_name": .string("reviewer")]))
            #expect(isUUID(agent.id) && agent.orchestratorID == made.id && agent.name == "reviewer" && agent.model == "claude-opus")
            #expect(agent.systemPrompt == "review" && agent.workingDir == "/w" && agent.status == .idle && agent.statusReason == nil && agent.sessionID == nil)
            #expect(agent.inputTokens == 0 && agent.totalCost == 0 && !agent.archived)
            #expect(agent.metadata == .object(["template_name": .string("reviewer")]))
            #expect(isTimestamp(agent.createdAt) && agent.createdAt == agent.updatedAt)

            let first = try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "PreToolUse", content: "Using tool: Read",
                                                     payload: .object(["tool_name": .string("Read")]), sessionID: "s1", taskSlug: "t-1", entryIndex: 0)
            #expect(isUUID(first.id) && first.seq == 1)
            _ = try await api.insertAgentLog(agentID: agent.id, eventCategory: "response", eventType: "text")
            _ = try await api.insertChat(.init(orchestratorID: made.id, sender: .orchestrator, receiver: .agent, message: "go", agentID: agent.id))

            await expectError(.init(.conflict, code: "duplicate_agent_name", "orchestrator \(made.id) already has an agent named \"reviewer\"; choose another name")) {
                _ = try await api.insertAgent(orchestratorID: made.id, name: "reviewer", model: "m")
            }
            let missing = absentID()
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.insertAgent(orchestratorID: missing, name: "x", model: "m")
            }
            await expectError(.invalid("empty_name", "\"name\" must not be empty")) {
                _ = try await api.insertAgent(orchestratorID: made.id, name: "", model: "m")
            }
            await expectError(.notFound("unknown_agent", "no agent has id \(missing); create it with insert_agent first")) {
                _ = try await api.insertAgentLog(agentID: missing, eventCategory: "hook", eventType: "Stop")
            }
            await expectError(.invalid("invalid_event_category", "\"event_category\" must be one of hook, response, adw_step; got \"chat\"")) {
                _ = try await api.insertAgentLog(agentID: agent.id, eventCategory: "chat", eventType: "Stop")
            }
            let during = try await diagnostics.rowCounts()
            #expect(during["agents"] == (before["agents"] ?? 0) + 1)
            #expect(during["agent_logs"] == (before["agent_logs"] ?? 0) + 2)
            #expect(during["orchestrator_chat"] == (before["orchestrator_chat"] ?? 0) + 1)
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
            #expect(try await diagnostics.rowCounts() == before, "deleting the orchestrator removed its agents, their logs and its chat")
        }
    }

    // MARK: - Sub-agents

    static func unknownAgent(_ id: String) -> PluginError {
        .notFound("unknown_agent", "no agent has id \(id); create it with insert_agent first")
    }

    @Test(arguments: StoreKind.allCases)
    func agentsAreFoundListedInCreationOrderAndGivenSessions(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let other = try await diagnostics.createOrchestrator()
            let first = try await api.insertAgent(orchestratorID: made.id, name: "first", model: "m")
            let second = try await api.insertAgent(orchestratorID: made.id, name: "second", model: "m", status: .starting)
            let third = try await api.insertAgent(orchestratorID: made.id, name: "third", model: "m")
            _ = try await api.insertAgent(orchestratorID: other.id, name: "elsewhere", model: "m")
            #expect(second.status == .starting && second.statusReason == nil)

            #expect(try await api.agent(id: second.id) == second)
            #expect(try await api.agent(id: second.id.uppercased()) == second, "ids are matched in canonical form")
            #expect(try await api.agents(orchestratorID: made.id) == [first, second, third])
            let lonely = try await diagnostics.createOrchestrator()
            #expect(try await api.agents(orchestratorID: lonely.id).isEmpty, "an orchestrator without agents has an empty list")

            let session = "agent-session-\(UUID().uuidString)"
            let withSession = try await api.updateAgentSession(id: first.id, sessionID: session)
            #expect(withSession.sessionID == session && withSession.createdAt == first.createdAt)
            #expect(withSession.updatedAt > first.updatedAt)
            #expect(try await api.agent(id: first.id) == withSession, "the session is saved, not only returned")

            let missing = absentID()
            await expectError(Self.unknownAgent(missing)) { _ = try await api.agent(id: missing) }
            await expectError(Self.unknownAgent(missing)) { _ = try await api.updateAgentSession(id: missing, sessionID: "s") }
            await expectError(.invalid("invalid_uuid", "id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"agent-7\"")) {
                _ = try await api.agent(id: "agent-7")
            }
            await expectError(.invalid("empty_session_id", "\"session_id\" must not be empty")) {
                _ = try await api.updateAgentSession(id: first.id, sessionID: "")
            }
            await expectError(.notFound("unknown_orchestrator", "no orchestrator has id \(missing); get the current one with get_or_create_orchestrator")) {
                _ = try await api.agents(orchestratorID: missing)
            }
            await expectError(.invalid("invalid_uuid", "orchestrator_agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"x\"")) {
                _ = try await api.agents(orchestratorID: "x")
            }
            await expectError(.invalid("invalid_status", "a new agent cannot be archived; \"status\" must be one of starting, idle, running, queued, needs_input, interrupted, failed, stopped")) {
                _ = try await api.insertAgent(orchestratorID: made.id, name: "ghost", model: "m", status: .archived)
            }
            #expect(try await api.agents(orchestratorID: made.id).count == 3, "the refusals added no agent")
            for orchestrator in [made.id, other.id, lonely.id] { #expect(try await diagnostics.deleteOrchestrator(id: orchestrator)) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func agentStatusTakesTheAgentVocabularyWithAReasonAndArchivingFreesTheName(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "builder", model: "m")
            var previous = agent
            for status in AgentStatus.allCases where status != .archived {
                let reason: String? = [.failed, .stopped, .interrupted].contains(status) ? "reason for \(status.rawValue)" : nil
                let updated = try await api.setAgentStatus(id: agent.id, status: status, reason: reason)
                #expect(updated.status == status && updated.statusReason == reason && !updated.archived)
                #expect(updated.updatedAt > previous.updatedAt)
                previous = updated
            }
            let stopped = try await api.setAgentStatus(id: agent.id, status: .stopped, reason: "budget_exceeded")
            #expect(try await api.agent(id: agent.id) == stopped, "the status and its reason are saved")
            #expect(try await api.setAgentStatus(id: agent.id, status: .idle).statusReason == nil, "no reason clears the old one")

            await expectError(.init(.conflict, code: "duplicate_agent_name", "orchestrator \(made.id) already has an agent named \"builder\"; choose another name")) {
                _ = try await api.insertAgent(orchestratorID: made.id, name: "builder", model: "m")
            }
            let archived = try await api.setAgentStatus(id: agent.id, status: .archived, reason: "stopped_by_user")
            #expect(archived.status == .archived && archived.archived && archived.statusReason == "stopped_by_user")
            #expect(try await api.agents(orchestratorID: made.id).isEmpty, "an archived agent is listed only when asked")
            #expect(try await api.agents(orchestratorID: made.id, includeArchived: true) == [archived])

            let reused = try await api.insertAgent(orchestratorID: made.id, name: "builder", model: "m2")
            #expect(reused.id != agent.id && reused.name == "builder" && !reused.archived)
            #expect(try await api.agents(orchestratorID: made.id) == [reused])
            #expect(try await api.agents(orchestratorID: made.id, includeArchived: true) == [archived, reused])
            await expectError(.init(.conflict, code: "duplicate_agent_name", "orchestrator \(made.id) already has an agent named \"builder\"; choose another name")) {
                _ = try await api.insertAgent(orchestratorID: made.id, name: "builder", model: "m")
            }
            let revived = try await api.setAgentStatus(id: agent.id, status: .idle)
            #expect(revived.archived, "archiving is for good: the name may have been reused")

            await expectError(.invalid("invalid_status", "\"status\" must be one of starting, idle, running, queued, needs_input, interrupted, failed, stopped, archived; got \"executing\"")) {
                try await store.raw(["op": "set_agent_status", "id": .string(agent.id), "status": "executing"])
            }
            await expectError(.invalid("invalid_status", "\"status\" must be one of starting, idle, running, queued, needs_input, interrupted, failed, stopped, archived; got \"blocked\"")) {
                try await store.raw(["op": "insert_agent", "orchestrator_agent_id": .string(made.id), "name": "n", "model": "m", "status": "blocked"])
            }
            let missing = absentID()
            await expectError(Self.unknownAgent(missing)) { _ = try await api.setAgentStatus(id: missing, status: .idle) }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func hundredConcurrentAgentUsageAddsSumExactly(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "spender", model: "m")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask { _ = try await api.addAgentUsage(id: agent.id, inputTokens: 3, outputTokens: 5, costUSD: 0.000123456789) }
                }
                try await group.waitForAll()
            }
            let summed = try await api.agent(id: agent.id)
            #expect(summed.inputTokens == 300 && summed.outputTokens == 500)
            #expect(summed.totalCost == 0.0123456789, "100 × 0.000123456789, to the last of 12 decimals")
            #expect(summed.updatedAt > agent.updatedAt)
            let orchestrator = try await api.orchestrator(id: made.id)
            #expect(orchestrator.inputTokens == 0 && orchestrator.totalCost == 0, "an agent's usage is its own")
            for _ in 0..<10 { _ = try await api.addAgentUsage(id: agent.id, inputTokens: 0, outputTokens: 0, costUSD: 0.1) }
            #expect(try await api.agent(id: agent.id).totalCost == 1.0123456789)

            await expectError(.invalid("invalid_usage", "\"output_tokens\" must be a token count between 0 and 1000000000000; got -2")) {
                _ = try await api.addAgentUsage(id: agent.id, inputTokens: 0, outputTokens: -2, costUSD: 0)
            }
            await expectError(.invalid("invalid_usage", "\"cost_usd\" must be a number of US dollars between 0 and 1000000.0; got -0.5")) {
                _ = try await api.addAgentUsage(id: agent.id, inputTokens: 0, outputTokens: 0, costUSD: -0.5)
            }
            let missing = absentID()
            await expectError(Self.unknownAgent(missing)) { _ = try await api.addAgentUsage(id: missing, inputTokens: 1, outputTokens: 1, costUSD: 0.01) }
            #expect(try await api.agent(id: agent.id).totalCost == 1.0123456789, "refused adds changed nothing")
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    /// 20 inserters at once, for one agent and spread over others, with inserts for an unknown agent
    /// among them (so the writer's batches fail and run again with savepoints): every agent's seqs are
    /// 1…n, each once, and `last_seq` is n.
    @Test(arguments: StoreKind.allCases)
    func logSeqsHaveNoGapsUnderConcurrentInserters(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let shared = try await api.insertAgent(orchestratorID: made.id, name: "shared", model: "m")
            var own: [String] = []
            for index in 0..<4 { own.append(try await api.insertAgent(orchestratorID: made.id, name: "own \(index)", model: "m").id) }
            let perInserter = 8
            let inserted = try await withThrowingTaskGroup(of: [(String, InsertedAgentLog)].self) { group in
                for inserter in 0..<20 {
                    let mine = own[inserter % own.count]
                    group.addTask {
                        var rows: [(String, InsertedAgentLog)] = []
                        for round in 0..<perInserter {
                            rows.append((shared.id, try await api.insertAgentLog(agentID: shared.id, eventCategory: "hook", eventType: "PostToolUse",
                                                                                 content: "\(inserter).\(round)")))
                            if round % 3 == 1 {
                                let missing = absentID()
                                await expectError(Self.unknownAgent(missing)) {
                                    try await api.insertAgentLog(agentID: missing, eventCategory: "hook", eventType: "Stop")
                                }
                            }
                            rows.append((mine, try await api.insertAgentLog(agentID: mine, eventCategory: "response", eventType: "text")))
                        }
                        return rows
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            for agent in [shared.id] + own {
                let seqs = inserted.filter { $0.0 == agent }.map(\.1.seq).sorted()
                #expect(seqs == Array(1...Int64(seqs.count)), "agent \(agent)'s seqs are 1…n, each once")
                let page = try await api.agentLogs(agentID: agent, limit: 1000)
                #expect(page.lastSeq == Int64(seqs.count) && !page.hasMore)
                let byID = Dictionary(uniqueKeysWithValues: inserted.filter { $0.0 == agent }.map { ($0.1.id, $0.1.seq) })
                #expect(page.logs.map(\.seq) == seqs)
                #expect(page.logs.allSatisfy { byID[$0.id] == $0.seq }, "each row has the seq its insert replied")
            }
            #expect(inserted.filter { $0.0 == shared.id }.count == 20 * perInserter)
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    /// An insert that fails in the database after its seq was taken gives the seq back, whether it ran
    /// alone or in a batch with others. The API cannot make such an insert, so a trigger added behind the
    /// store's back (in a database of the test's own) refuses some rows.
    @Test(arguments: StoreKind.allCases)
    func aLogInsertTheDatabaseRefusesTakesNoSeq(_ kind: StoreKind) async throws {
        let database = try ScratchDatabase(kind, in: try environment())
        defer { try? database.drop() }
        let store = try database.open()
        let api = store.api
        let agent = try await api.insertAgent(orchestratorID: try await store.diagnostics.createOrchestrator().id, name: "a", model: "m")
        try database.sql(kind == .postgres
            ? """
              CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom refused'; END $$;
              CREATE TRIGGER refuse_boom BEFORE INSERT ON agent_logs FOR EACH ROW WHEN (NEW.event_type = 'boom') EXECUTE FUNCTION refuse_boom();
              """
            : "CREATE TRIGGER refuse_boom BEFORE INSERT ON agent_logs WHEN NEW.event_type = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END;")

        #expect(try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "ok").seq == 1)
        await #expect(throws: PluginError.self) { try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "boom") }
        #expect(try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "ok").seq == 2, "the refused insert, alone, took no seq")

        let seqs = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for index in 0..<40 {
                group.addTask {
                    guard index % 2 == 0 else {
                        await #expect(throws: PluginError.self) { try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "boom") }
                        return nil
                    }
                    return try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "ok").seq
                }
            }
            return try await group.reduce(into: [Int64]()) { if let seq = $1 { $0.append(seq) } }
        }
        #expect(seqs.sorted() == Array(3...22), "refused inserts among others took no seq either")
        #expect(try await api.agentLogs(agentID: agent.id).lastSeq == 22)
        await store.ref.destroy()
    }

    @Test(arguments: StoreKind.allCases)
    func agentLogsArePagedBySeq(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "logger", model: "m")
            let quiet = try await api.insertAgent(orchestratorID: made.id, name: "quiet", model: "m")
            let empty = try await api.agentLogs(agentID: quiet.id)
            #expect(empty == AgentLogPage(logs: [], hasMore: false, lastSeq: 0))

            let turn = UUIDv7.next()
            var written: [InsertedAgentLog] = []
            for index in 1...25 {
                written.append(try await api.insertAgentLog(
                    agentID: agent.id, eventCategory: index % 2 == 0 ? "response" : "hook", eventType: "e\(index)",
                    content: index == 1 ? nil : "line \(index)", payload: index == 1 ? ["tool_name": "Read"] : nil,
                    sessionID: index == 1 ? "s1" : nil, taskSlug: "t", entryIndex: index, turnID: index <= 5 ? turn.uppercased() : nil))
            }
            #expect(written.map(\.seq) == Array(1...25))
            #expect(try await api.agent(id: agent.id) == agent, "handing out seqs is no change of the agent: updated_at stays")
            _ = try await api.insertAgentLog(agentID: quiet.id, eventCategory: "hook", eventType: "other agent")

            let firstPage = try await api.agentLogs(agentID: agent.id, limit: 10)
            #expect(firstPage.logs.map(\.seq) == Array(1...10) && firstPage.hasMore && firstPage.lastSeq == 25)
            let row = try #require(firstPage.logs.first)
            #expect(row.id == written[0].id && row.agentID == agent.id && row.turnID == turn && row.eventCategory == "hook")
            #expect(row.eventType == "e1" && row.content == nil && row.payload == ["tool_name": "Read"] && row.sessionID == "s1")
            #expect(isTimestamp(row.timestamp))
            #expect(firstPage.logs[5].turnID == nil && firstPage.logs[5].content == "line 6" && firstPage.logs[5].payload == .object([:]))
            let secondPage = try await api.agentLogs(agentID: agent.id, sinceSeq: 10, limit: 10)
            #expect(secondPage.logs.map(\.seq) == Array(11...20) && secondPage.hasMore)
            let lastPage = try await api.agentLogs(agentID: agent.id, sinceSeq: 20, limit: 10)
            #expect(lastPage.logs.map(\.seq) == Array(21...25) && !lastPage.hasMore && lastPage.lastSeq == 25)
            let exact = try await api.agentLogs(agentID: agent.id, sinceSeq: 15, limit: 10)
            #expect(exact.logs.map(\.seq) == Array(16...25) && !exact.hasMore, "a page that ends at the last row has no more")
            #expect(try await api.agentLogs(agentID: agent.id, sinceSeq: 25) == AgentLogPage(logs: [], hasMore: false, lastSeq: 25))
            #expect(try await api.agentLogs(agentID: agent.id).logs.count == 25, "the default limit is 100")

            let missing = absentID()
            await expectError(Self.unknownAgent(missing)) { _ = try await api.agentLogs(agentID: missing) }
            await expectError(.invalid("invalid_limit", "\"limit\" must be between 1 and 1000; got 0")) {
                _ = try await api.agentLogs(agentID: agent.id, limit: 0)
            }
            await expectError(.invalid("invalid_limit", "\"limit\" must be between 1 and 1000; got 1001")) {
                _ = try await api.agentLogs(agentID: agent.id, limit: 1001)
            }
            await expectError(.invalid("invalid_uuid", "agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"\"")) {
                _ = try await api.agentLogs(agentID: "")
            }
            await expectError(.invalid("invalid_uuid", "turn_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"turn-1\"")) {
                try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "Stop", turnID: "turn-1")
            }
            #expect(try await api.agentLogs(agentID: agent.id, sinceSeq: 24).lastSeq == 25, "refused inserts took no seq")
            #expect(try await api.insertAgentLog(agentID: agent.id, eventCategory: "hook", eventType: "Stop").seq == 26)
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func agentLogsAreCountedByKind(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "counted", model: "m")
            let other = try await api.insertAgent(orchestratorID: made.id, name: "other", model: "m")
            #expect(try await api.agentLogCounts(agentID: agent.id) == AgentLogCounts(kinds: [], lastSeq: 0))
            for (category, type) in [("response", "text"), ("hook", "PreToolUse"), ("response", "tool_use"), ("response", "text"),
                                     ("hook", "PostToolUse"), ("hook", "PreToolUse"), ("response", "thinking")] {
                _ = try await api.insertAgentLog(agentID: agent.id, eventCategory: category, eventType: type)
            }
            _ = try await api.insertAgentLog(agentID: other.id, eventCategory: "response", eventType: "text")

            let counts = try await api.agentLogCounts(agentID: agent.id)
            #expect(counts.kinds == [
                .init(eventCategory: "hook", eventType: "PostToolUse", count: 1), .init(eventCategory: "hook", eventType: "PreToolUse", count: 2),
                .init(eventCategory: "response", eventType: "text", count: 2), .init(eventCategory: "response", eventType: "thinking", count: 1),
                .init(eventCategory: "response", eventType: "tool_use", count: 1),
            ], "ordered by category, then type; the other agent's row is not counted")
            #expect(counts.lastSeq == 7)
            #expect(counts.count(ofCategory: "hook") == 3 && counts.count(ofType: "text") == 2)

            let missing = absentID()
            await expectError(Self.unknownAgent(missing)) { _ = try await api.agentLogCounts(agentID: missing) }
            await expectError(.invalid("invalid_uuid", "agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"x\"")) {
                _ = try await api.agentLogCounts(agentID: "x")
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func permissionRequestsAreDecidedOnceAndKeptAsTheAuditLog(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let made = try await diagnostics.createOrchestrator()
            let agent = try await api.insertAgent(orchestratorID: made.id, name: "asker", model: "m")
            let bash: JSONValue = ["command": "git status"]
            let first = try await api.insertPermissionRequest(.init(
                orchestratorID: made.id, agentID: agent.id, sessionID: "s-agent", toolName: "Bash", input: bash,
                suggestions: [["type": "addRules"]], expiresAt: "2030-01-02T03:04:05.000000Z"))
            #expect(first.status == .pending && first.decidedBy == nil && first.decidedAt == nil && first.decision == .object([:]))
            #expect(first.agentID == agent.id && first.input == bash && first.suggestions == [["type": "addRules"]])
            #expect(first.expiresAt == "2030-01-02T03:04:05.000000Z" && isTimestamp(first.createdAt))
            let own = try await api.insertPermissionRequest(.init(orchestratorID: made.id, agentID: nil, sessionID: "s-orch", toolName: "Edit",
                                                                  input: ["file_path": "src/a.swift"]))
            let ruled = try await api.insertPermissionRequest(.init(
                orchestratorID: made.id, agentID: agent.id, sessionID: "s-agent", toolName: "Bash", input: ["command": "rm -rf /"],
                status: "denied", decidedBy: "rule", decision: ["rule": "Bash(rm *)"]))
            #expect(ruled.status == .denied && ruled.decidedBy == .rule && ruled.decidedAt != nil, "a rule's answer is saved decided")

            let inbox = try await api.permissionRequests(orchestratorID: made.id, status: .pending)
            #expect(inbox.requests.map(\.id) == [own.id, first.id] && !inbox.hasMore, "the inbox: pending only, newest first")
            let allowed = try await api.decidePermissionRequest(id: first.id, status: .allowed, decidedBy: .person,
                                                                decision: ["scope": "agent", "updated_input": ["command": "git status -s"]])
            #expect(allowed.status == .allowed && allowed.decidedBy == .person && allowed.decidedAt != nil)
            #expect(allowed.decision["scope"] == "agent" && allowed.createdAt == first.createdAt)
            await expectError(StoreError.permissionDecided(allowed)) {
                _ = try await api.decidePermissionRequest(id: first.id, status: .denied, decidedBy: .person)
            }
            // Concurrent answers to one request: exactly one wins, the others are told which.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for status in [PermissionStatus.allowed, .denied, .allowed, .denied] {
                    group.addTask { (try? await api.decidePermissionRequest(id: own.id, status: status, decidedBy: .person)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")

            let audit = try await api.permissionRequests(orchestratorID: made.id, limit: 2)
            #expect(audit.requests.map(\.id) == [ruled.id, own.id] && audit.hasMore)
            let older = try await api.permissionRequests(orchestratorID: made.id, before: own.id)
            #expect(older.requests.map(\.id) == [first.id] && !older.hasMore)
            #expect(try await api.permissionRequests(orchestratorID: made.id, agentID: agent.id).requests.map(\.id) == [ruled.id, first.id])

            let left = try await api.insertPermissionRequest(.init(orchestratorID: made.id, agentID: nil, sessionID: "s-orch", toolName: "Write", input: nil))
            let expired = try await api.expirePermissionRequests(orchestratorID: made.id)
            #expect(expired.map(\.id) == [left.id] && expired.allSatisfy { $0.status == .expired && $0.decidedBy == .host })
            #expect(try await api.expirePermissionRequests(orchestratorID: made.id).isEmpty, "nothing is left pending")

            // Mistakes, each named.
            let missing = absentID()
            await expectError(StoreError.unknownPermission(missing)) {
                _ = try await api.decidePermissionRequest(id: missing, status: .allowed, decidedBy: .person)
            }
            await expectError(StoreError.unknownOrchestrator(missing)) {
                _ = try await api.insertPermissionRequest(.init(orchestratorID: missing, agentID: nil, sessionID: "s", toolName: "Bash", input: nil))
            }
            await expectError(StoreError.unknownAgent(missing)) {
                _ = try await api.insertPermissionRequest(.init(orchestratorID: made.id, agentID: missing, sessionID: "s", toolName: "Bash", input: nil))
            }
            await expectError(StoreError.unknownOrchestrator(missing)) { _ = try await api.permissionRequests(orchestratorID: missing) }
            await expectError(.invalid("empty_tool_name", "\"tool_name\" must not be empty")) {
                _ = try await api.insertPermissionRequest(.init(orchestratorID: made.id, agentID: nil, sessionID: "s", toolName: "", input: nil))
            }
            await expectError(.invalid("invalid_metadata", "\"input\" must be a JSON object; got a string")) {
                _ = try await api.insertPermissionRequest(.init(orchestratorID: made.id, agentID: nil, sessionID: "s", toolName: "Bash", input: "ls"))
            }
            await expectError(.invalid("invalid_decided_by", "a request expired cannot be decided by person")) {
                _ = try await api.decidePermissionRequest(id: first.id, status: .expired, decidedBy: .person)
            }
            await expectError(.invalid("invalid_status", "a request is decided as allowed, denied, expired or withdrawn, never back to pending")) {
                _ = try await api.decidePermissionRequest(id: first.id, status: .pending, decidedBy: .person)
            }
            await expectError(.invalid("invalid_timestamp", "\"expires_at\" must be a UTC time like 2026-01-02T03:04:05.000000Z; got \"tomorrow\"")) {
                _ = try await api.insertPermissionRequest(.init(orchestratorID: made.id, agentID: nil, sessionID: "s", toolName: "Bash", input: nil,
                                                                expiresAt: "tomorrow"))
            }
            #expect(try await diagnostics.deleteOrchestrator(id: made.id), "the requests go with their orchestrator")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func systemLogsAreWrittenAndDeletedByID(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let api = store.api
            let diagnostics = store.diagnostics
            var ids: [String] = []
            for level in StoreRules.levels {
                ids.append(try await api.insertSystemLog(level: level, message: "\(level) line",
                                                         metadata: .object(["type": .string("thinking_block")]), filePath: "main.swift"))
            }
            #expect(ids.allSatisfy(isUUID) && Set(ids).count == 4)
            await expectError(.invalid("invalid_level", "\"level\" must be one of DEBUG, INFO, WARNING, ERROR; got \"info\"")) {
                _ = try await api.insertSystemLog(level: "info", message: "lowercase")
            }
            #expect(try await diagnostics.deleteSystemLogs(ids: Array(ids.prefix(3)) + [absentID()]) == 3)
            #expect(try await diagnostics.deleteSystemLogs(ids: ids) == 1)
            #expect(try await diagnostics.deleteSystemLogs(ids: []) == 0)
            await expectError(.invalid("invalid_uuid", "ids[1] must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"x\"")) {
                _ = try await diagnostics.deleteSystemLogs(ids: [absentID(), "x"])
            }
        }
    }

    /// read_system_logs: newest first, paged by offset and limit, narrowed by every filter given. The rows name an
    /// orchestrator id and turn ids no other row has, so what other tests left in the table cannot show up.
    @Test(arguments: StoreKind.allCases)
    func systemLogsAreReadNewestFirstPagedAndFiltered(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let (api, diagnostics) = (store.api, store.diagnostics)
            let (mine, other) = (absentID(), absentID())
            let (one, two, unused) = (UUIDv7.next(), UUIDv7.next(), UUIDv7.next())
            // message, level, turn, orchestrator: rows 0…10 are `mine`'s, 11 another orchestrator's (of turn `one`).
            let rows: [(String, String, String?, String)] = [
                ("thinking: plan the work", "DEBUG", one, mine), ("tool_use: Read file", "INFO", one, mine),
                ("THINKING again", "WARNING", one, mine), ("progress 100% done", "ERROR", one, mine),
                ("progress 100 percent", "DEBUG", two, mine), ("a_b literal underscore", "INFO", two, mine),
                ("axb no underscore", "WARNING", two, mine), (#"back\slash here"#, "ERROR", two, mine),
                ("backslash-free", "DEBUG", nil, mine), ("Thinking without a turn", "INFO", nil, mine),
                ("plain line", "WARNING", nil, mine), ("other orchestrator thinking", "ERROR", one, other),
            ]
            var ids: [String] = []
            for (index, (message, level, turn, orchestrator)) in rows.enumerated() {
                var metadata: [String: JSONValue] = ["orchestrator_agent_id": .string(orchestrator), "type": .string("thinking_block")]
                if let turn { metadata["turn_id"] = .string(turn) }
                ids.append(try await api.insertSystemLog(level: level, message: message, metadata: .object(metadata),
                                                         filePath: index == 0 ? "main.swift" : nil))
            }
            /// The ids of rows `indexes`, newest first.
            func newest(_ indexes: [Int]) -> [String] { indexes.sorted(by: >).map { ids[$0] } }
            func read(offset: Int? = nil, limit: Int? = nil, contains: String? = nil, level: String? = nil, turnIDs: [String]? = nil,
                      orchestratorID: String? = nil) async throws -> ([String], Bool) {
                let (logs, hasMore) = try await api.readSystemLogs(offset: offset, limit: limit, contains: contains, level: level,
                                                                   turnIDs: turnIDs, orchestratorID: orchestratorID)
                return (logs.map(\.id), hasMore)
            }

            // The records, whole.
            let (all, allHaveMore) = try await api.readSystemLogs(orchestratorID: mine)
            #expect(all.map(\.id) == newest(Array(0...10)) && !allHaveMore, "the default limit (50) holds them all")
            let first = try #require(all.last)
            #expect(first.level == "DEBUG" && first.message == "thinking: plan the work" && first.filePath == "main.swift")
            let block: [String: JSONValue] = ["orchestrator_agent_id": .string(mine), "type": .string("thinking_block")]
            #expect(first.metadata == .object(block.merging(["turn_id": .string(one)]) { $1 }))
            #expect(isTimestamp(first.timestamp) && all.allSatisfy { isUUID($0.id) && isTimestamp($0.timestamp) })
            #expect(all[0].filePath == nil && all[0].metadata == .object(block))
            #expect(zip(all, all.dropFirst()).allSatisfy { $0.timestamp >= $1.timestamp }, "newest first")
            let unfiltered = try await api.readSystemLogs(limit: 12)
            #expect(unfiltered.logs.map(\.id) == newest(Array(0...11)), "without filters: the newest rows of the table, these")

            // Paging: offset skips matching rows, has_more says more match past the page.
            #expect(try await read(limit: 4, orchestratorID: mine) == (newest([10, 9, 8, 7]), true))
            #expect(try await read(offset: 4, limit: 4, orchestratorID: mine) == (newest([6, 5, 4, 3]), true))
            #expect(try await read(offset: 8, limit: 4, orchestratorID: mine) == (newest([2, 1, 0]), false))
            #expect(try await read(offset: 7, limit: 4, orchestratorID: mine) == (newest([3, 2, 1, 0]), false),
                    "a page ending at the last row has no more")
            #expect(try await read(offset: 11, orchestratorID: mine) == ([], false))
            #expect(try await read(offset: 1_000_000, orchestratorID: mine) == ([], false))
            #expect(try await read(limit: 1, orchestratorID: mine) == ([ids[10]], true))

            // contains: case-insensitive, and %, _ and \ are only themselves.
            #expect(try await read(contains: "thinking", orchestratorID: mine).0 == newest([0, 2, 9]))
            #expect(try await read(contains: "THINKING").0.prefix(4) == newest([0, 2, 9, 11])[...],
                    "every orchestrator's rows without the filter")
            #expect(try await read(contains: "100%", orchestratorID: mine).0 == [ids[3]], "% is no wildcard (it would match row 4)")
            #expect(try await read(contains: "%", orchestratorID: mine).0 == [ids[3]])
            #expect(try await read(contains: "a_b", orchestratorID: mine).0 == [ids[5]], "_ is no wildcard (it would match row 6)")
            #expect(try await read(contains: #"\"#, orchestratorID: mine).0 == [ids[7]])
            #expect(try await read(contains: #"k\s"#, orchestratorID: mine).0 == [ids[7]])
            #expect(try await read(contains: "", orchestratorID: mine).0 == newest(Array(0...10)), "the empty string is in every message")
            #expect(try await read(contains: "no such text \(UUID())", orchestratorID: mine) == ([], false))

            // level: that level only.
            #expect(try await read(level: "ERROR", orchestratorID: mine).0 == newest([3, 7]))
            #expect(try await read(level: "DEBUG", orchestratorID: mine).0 == newest([0, 4, 8]))

            // turn_ids: rows whose metadata.turn_id is one of them, whichever orchestrator's.
            #expect(try await read(turnIDs: [one]) == (newest([0, 1, 2, 3, 11]), false))
            #expect(try await read(turnIDs: [one, two]).0 == newest([0, 1, 2, 3, 4, 5, 6, 7, 11]))
            #expect(try await read(turnIDs: [two.uppercased(), unused]).0 == newest([4, 5, 6, 7]), "ids are matched in canonical form")
            #expect(try await read(turnIDs: [unused]) == ([], false))
            #expect(try await read(turnIDs: []) == ([], false), "no turn: no row")
            let many = [one] + (1..<StoreRules.maxTurnIDs).map { _ in absentID() }
            #expect(try await read(turnIDs: many).0 == newest([0, 1, 2, 3, 11]), "1000 turn ids are allowed")

            // orchestrator_agent_id.
            #expect(try await read(orchestratorID: other) == ([ids[11]], false))
            #expect(try await read(orchestratorID: other.uppercased()).0 == [ids[11]])

            // Combinations: every filter given applies.
            #expect(try await read(turnIDs: [one], orchestratorID: mine).0 == newest([0, 1, 2, 3]))
            #expect(try await read(level: "INFO", turnIDs: [one, two]).0 == newest([1, 5]))
            #expect(try await read(contains: "PROGRESS", turnIDs: [one, two]).0 == newest([3, 4]))
            #expect(try await read(contains: "thinking", level: "WARNING", orchestratorID: mine).0 == [ids[2]])
            #expect(try await read(contains: "thinking", level: "ERROR", turnIDs: [one]).0 == [ids[11]])
            #expect(try await read(offset: 1, limit: 2, turnIDs: [one, two], orchestratorID: mine) == (newest([6, 5]), true))
            #expect(try await read(offset: 6, limit: 2, turnIDs: [one, two], orchestratorID: mine) == (newest([1, 0]), false))

            // Every refusal names its field.
            await expectError(.invalid("invalid_limit", "\"limit\" must be between 1 and 1000; got 0")) { _ = try await read(limit: 0) }
            await expectError(.invalid("invalid_limit", "\"limit\" must be between 1 and 1000; got 1001")) {
                _ = try await read(limit: 1001)
            }
            await expectError(.invalid("invalid_offset", "\"offset\" must be 0 or more; got -1")) { _ = try await read(offset: -1) }
            await expectError(.invalid("invalid_level", "\"level\" must be one of DEBUG, INFO, WARNING, ERROR; got \"info\"")) {
                _ = try await read(level: "info")
            }
            await expectError(.invalid("invalid_uuid", "turn_ids[1] must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"turn-2\"")) {
                _ = try await read(turnIDs: [one, "turn-2"])
            }
            await expectError(.invalid("invalid_uuid", "orchestrator_agent_id must be a UUID like 3f2b8c1e-0000-4000-8000-000000000000, got \"x\"")) {
                _ = try await read(orchestratorID: "x")
            }
            await expectError(.invalid("too_many_turn_ids", "\"turn_ids\" may name at most 1000 turns; got 1001")) {
                _ = try await read(turnIDs: many + [unused])
            }
            do {
                try await store.raw(["op": .string("read_system_logs"), "turn_ids": .string(one)])
                Issue.record("a string for turn_ids was accepted")
            } catch let error as PluginError {
                #expect(error.code == "invalid_request" && error.message.contains("turn_ids"), "\(error)")
            }
            #expect(try await diagnostics.deleteSystemLogs(ids: ids) == 12)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func rowCountsNameEveryTable(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let counts = try await store.diagnostics.rowCounts()
            #expect(counts.keys.sorted() == StoreRules.tables.sorted())
        }
    }

    @Test(arguments: StoreKind.allCases)
    func diagnosticsAnswerOnlyThroughTheirOwnInterface(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            #expect(store.providesDiagnostics)
            for op in StoreDiagnosticOp.allCases {
                await expectError(.unsupported("\(kind.rawValue): \"\(op.rawValue)\" is a diagnostics operation; send it through the orch.store.diagnostics/1 interface (ORCH_IID_STORE_DIAGNOSTICS_V1), not orch.store/1")) {
                    try await store.raw(["op": .string(op.rawValue)])
                }
            }
            await expectError(.unsupported("\(kind.rawValue): \"insert_chat\" is an orch.store/1 operation; send it through that interface's request, not orch.store.diagnostics/1")) {
                _ = try await store.diagnosticsRequest(Data(#"{"op":"insert_chat"}"#.utf8))
            }
            let ops = StoreDiagnosticOp.allCases.map(\.rawValue).joined(separator: ", ")
            await expectError(.unsupported("\(kind.rawValue) has no diagnostics op \"frobnicate\"; diagnostics ops are \(ops)")) {
                _ = try await store.diagnosticsRequest(Data(#"{"op":"frobnicate"}"#.utf8))
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func unknownOpsAndMalformedRequestsAreRefused(_ kind: StoreKind) async throws {
        try await environment().withStore(kind) { store in
            let ops = StoreOp.allCases.map(\.rawValue).joined(separator: ", ")
            await expectError(.unsupported("\(kind.rawValue) has no op \"frobnicate\"; store ops are \(ops)")) {
                try await store.raw(["op": .string("frobnicate")])
            }
            await expectError(.invalid("invalid_request", #"get_orchestrator: field "id": Expected to decode String but found number instead."#)) {
                try await store.raw(["op": .string("get_orchestrator"), "id": .int(7)])
            }
            await expectError(.invalid("invalid_request", #"a request must be a JSON object with a string "op"; got {"id":"x"}"#)) {
                _ = try await store.request(Data(#"{"id":"x"}"#.utf8))
            }
        }
    }
}
