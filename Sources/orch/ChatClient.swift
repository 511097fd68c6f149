import Foundation
import PluginAPI

/// What happens to `orch chat`: the server's lines, the user's input, Ctrl+C,
/// and the connection coming and going.
enum ChatInput: Equatable {
    /// A (new) connection is open; its first line will be `connection_established`.
    case connected
    case line(JSONValue)
    case disconnected
    case typed(String)
    case endOfInput
    case interruptKey(ContinuousClock.Instant)
}

/// What `orch chat` does in answer.
enum ChatEffect: Equatable {
    case send(JSONValue)
    /// Text for stdout.
    case write(String)
    /// A message for stderr.
    case warn(String)
    /// Connect again (and feed `.connected` when it succeeds).
    case reconnect
    case exit(Int32)
}

/// The terminal client as a state machine: inputs in, effects out, no I/O, so
/// the whole conversation with the transport is testable without a socket.
///
/// On every connection it asks for the orchestrator; the first time it then
/// loads the history, after a reconnect to the same host it resumes from the
/// last `seq` it saw, and after a reconnect to a restarted host (a new
/// `stream_id`, whose numbers start again) it reloads the history and prints
/// only what it had not shown.
struct ChatClient {
    enum Mode: Equatable {
        /// A conversation: every turn is shown, the user's lines are sent as they come.
        case interactive(historyLimit: Int, hints: Bool)
        /// Send one message, print only its reply, exit.
        case once(message: String)
    }

    let mode: Mode
    private(set) var view: ChatView
    private(set) var turns = ChatTurns()
    private var presses = ChatDoublePress()
    private(set) var orchestratorID: String?
    private var streamID: String?
    private var reconnecting = false
    private var awaitingHistory = false
    private(set) var lastSeq: UInt64 = 0
    private(set) var ready = false
    /// Typed before the connection was ready; sent once it is.
    private var backlog: [String] = []
    /// Sent by this client and not yet echoed back as the user's `orchestrator_chat`.
    private var unechoed: [String] = []
    /// Turns this client started that have not completed.
    private(set) var ours: Set<String> = []
    private var inputEnded = false
    private var greeted = false
    private var once = OnceReply()

    /// The reply of a `--once` turn.
    private struct OnceReply {
        var sent = false
        var turn: String?
        var block: String?
        var printed: Set<String> = []
        var failure: String?
    }

    init(mode: Mode, style: ChatStyle) {
        self.mode = mode
        self.view = ChatView(style: style)
    }

    private var isOnce: Bool { if case .once = mode { true } else { false } }

    mutating func handle(_ input: ChatInput) -> [ChatEffect] {
        switch input {
        case .connected:
            ready = false
            return []
        case .line(let line):
            return receive(line)
        case .disconnected:
            ready = false
            if isOnce { return [.warn("orch: lost the connection before the reply was complete; run the command again"), .exit(1)] }
            reconnecting = true
            return [.write(view.style.dim("(connection lost; reconnecting…)") + "\n"), .reconnect]
        case .typed(let raw):
            let text = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
            guard ready else {
                backlog.append(text)
                return []
            }
            return send(text)
        case .endOfInput:
            inputEnded = true
            return finishedIfIdle()
        case .interruptKey(let now):
            if presses.press(at: now) { return [.write("\n"), .exit(130)] }
            guard turns.isRunning, let orchestratorID else {
                return [.write("\n" + view.style.dim("(nothing is running; Ctrl+C again to quit)") + "\n")]
            }
            return [.send(["type": "interrupt", "orchestrator_agent_id": .string(orchestratorID)]),
                    .write("\n" + view.style.dim("(interrupting; Ctrl+C again to quit)") + "\n")]
        }
    }

    // MARK: The server's lines

    private mutating func receive(_ line: JSONValue) -> [ChatEffect] {
        if let seq = line["seq"]?.intValue, seq > 0 { return event(line, seq: UInt64(seq)) }
        switch line["type"]?.stringValue {
        case "connection_established": return established(line)
        case "ack": return acknowledged(line)
        case "chat_history": return history(line)
        case "reload_required":
            lastSeq = UInt64(max(0, line["last_seq"]?.intValue ?? 0))
            return loadHistory()
        case "error": return refused(line)
        default: return []
        }
    }

    private mutating func established(_ line: JSONValue) -> [ChatEffect] {
        let stream = line["stream_id"]?.stringValue
        let restarted = reconnecting && (stream == nil || stream != streamID)
        if !reconnecting || restarted {
            // A new stream: its numbers start again, and turns of the old host will never complete.
            lastSeq = UInt64(max(0, line["last_seq"]?.intValue ?? 0))
            turns = ChatTurns()
            ours = []
            unechoed = []
        }
        streamID = stream
        awaitingHistory = !reconnecting || restarted
        return [.send(["type": "get_orchestrator"])]
    }

    private mutating func acknowledged(_ line: JSONValue) -> [ChatEffect] {
        switch line["in_reply_to"]?.stringValue {
        case "get_orchestrator": return orchestrator(line["orchestrator"])
        case "chat_message":
            if isOnce, once.turn == nil { once.turn = line["turn_id"]?.stringValue }
            return []
        case "interrupt" where line["interrupted"]?.boolValue == false:
            return isOnce ? [] : [.write(view.style.dim("(nothing to interrupt)") + "\n")]
        default: return []
        }
    }

    private mutating func orchestrator(_ record: JSONValue?) -> [ChatEffect] {
        guard let id = record?["id"]?.stringValue else {
            return [.warn("orch: the host did not say which orchestrator it serves"), .exit(1)]
        }
        orchestratorID = id
        view.know(orchestrator: record)
        if case .once(let message) = mode {
            ready = true
            guard !once.sent else { return [] }
            once.sent = true
            return send(message)
        }
        let wasReconnecting = reconnecting
        reconnecting = false
        if awaitingHistory {
            return (wasReconnecting ? [.write(view.style.dim("(reconnected to a restarted orch; catching up from the history)") + "\n")] : [])
                + loadHistory()
        }
        ready = true
        return [.write(view.style.dim("(reconnected)") + "\n"),
                .send(["type": "resume", "orchestrator_agent_id": .string(id), "last_seq": .int(Int64(lastSeq))])] + flushBacklog()
    }

    private mutating func loadHistory() -> [ChatEffect] {
        guard case .interactive(let limit, _) = mode, let orchestratorID else { return [] }
        guard limit > 0 else { return historyDone() }
        awaitingHistory = true
        return [.send(["type": "load_chat", "orchestrator_agent_id": .string(orchestratorID), "limit": .int(Int64(limit))])]
    }

    /// The history is on screen (or could not be had): the chat is ready.
    private mutating func historyDone() -> [ChatEffect] {
        awaitingHistory = false
        ready = true
        return flushBacklog()
    }

    private mutating func history(_ line: JSONValue) -> [ChatEffect] {
        guard awaitingHistory, case .interactive(_, let hints) = mode else { return [] }
        let firstTime = !greeted
        greeted = true
        let messages: [JSONValue] = if case .array(let items)? = line["messages"] { items } else { [] }
        var effects: [ChatEffect] = [.write(view.history(messages, hasMore: line["has_more"]?.boolValue == true))]
        if firstTime && hints {
            effects.append(.write(view.style.dim("Type a message and press Enter. Ctrl+C interrupts a turn, twice quits; Ctrl+D quits.") + "\n"))
        }
        return effects + historyDone()
    }

    private mutating func refused(_ line: JSONValue) -> [ChatEffect] {
        if line["code"]?.stringValue == "shutting_down" {
            return isOnce ? [] : [.write(view.style.dim("(orch is shutting down)") + "\n")]
        }
        if isOnce {
            let code = line["code"]?.stringValue ?? "error"
            return [.warn("orch: \(line["message"]?.stringValue ?? "the request was refused") [\(code)]"), .exit(1)]
        }
        if line["in_reply_to"]?.stringValue == "chat_message", !unechoed.isEmpty { unechoed.removeFirst() }
        // Without its history the chat still works.
        let ready = line["in_reply_to"]?.stringValue == "load_chat" && awaitingHistory ? historyDone() : []
        return [.write(view.render(line))] + ready + finishedIfIdle()
    }

    // MARK: Events

    private mutating func event(_ event: JSONValue, seq: UInt64) -> [ChatEffect] {
        lastSeq = max(lastSeq, seq)
        turns.observe(event)
        if let echoed = echo(event) {
            if isOnce, once.turn == nil { once.turn = echoed.turn }
            if !isOnce, let turn = echoed.turn { ours.insert(turn) }
            view.markShown(echoed.id)
            return []
        }
        if isOnce { return onceEvent(event) }
        var effects: [ChatEffect] = []
        let text = view.render(event)
        if !text.isEmpty { effects.append(.write(text)) }
        if event["type"]?.stringValue == "turn_complete", let turn = event["turn_id"]?.stringValue, ours.remove(turn) != nil {
            effects += finishedIfIdle()
        }
        return effects
    }

    /// The user's own message coming back from the host: its id and turn.
    private mutating func echo(_ event: JSONValue) -> (id: String, turn: String?)? {
        guard event["type"]?.stringValue == "orchestrator_chat" else { return nil }
        let message = event["message"] ?? .null
        guard message["sender_type"]?.stringValue == "user", let text = message["message"]?.stringValue,
              let index = unechoed.firstIndex(of: text) else { return nil }
        unechoed.remove(at: index)
        return (message["id"]?.stringValue ?? "", message["metadata"]?["turn_id"]?.stringValue)
    }

    private mutating func onceEvent(_ event: JSONValue) -> [ChatEffect] {
        guard let turn = once.turn else { return [] }
        switch event["type"]?.stringValue {
        case "chat_stream" where turns.running == .turn(turn):
            let id = event["message_id"]?.stringValue ?? ""
            if event["withdrawn"]?.boolValue == true {
                return [.warn("orch: a streamed draft was withdrawn; the reply printed may include text the orchestrator did not keep")]
            }
            guard event["is_complete"]?.boolValue != true, let chunk = event["chunk"]?.stringValue, !chunk.isEmpty else { return [] }
            return [.write(block(id) + chunk)]
        case "orchestrator_chat":
            // A reply that was never streamed (a backend without deltas) is printed whole.
            let message = event["message"] ?? .null
            guard message["sender_type"]?.stringValue == "orchestrator", message["metadata"]?["turn_id"]?.stringValue == turn,
                  let id = message["id"]?.stringValue, !once.printed.contains(id) else { return [] }
            return [.write(block(id) + (message["message"]?.stringValue ?? ""))]
        case "error" where event["turn_id"]?.stringValue == turn:
            once.failure = "\(event["message"]?.stringValue ?? "the turn failed") [\(event["error_class"]?.stringValue ?? "error")]"
            return []
        case "turn_complete" where event["turn_id"]?.stringValue == turn:
            let ending: [ChatEffect] = once.block == nil ? [] : [.write("\n")]
            switch event["status"]?.stringValue {
            case "success": return ending + [.exit(0)]
            case "interrupted": return ending + [.warn("orch: the turn was interrupted"), .exit(130)]
            default: return ending + [.warn("orch: \(once.failure ?? "the turn ended: \(event["status"]?.stringValue ?? "unknown")")"), .exit(1)]
            }
        default:
            return []
        }
    }

    /// Blocks of one reply are separated by a blank line, as the saved response joins them.
    private mutating func block(_ id: String) -> String {
        defer {
            once.block = id
            once.printed.insert(id)
        }
        return once.block == nil || once.block == id ? "" : "\n\n"
    }

    // MARK: Sending

    private mutating func send(_ text: String) -> [ChatEffect] {
        guard let orchestratorID else {
            backlog.append(text)
            return []
        }
        unechoed.append(text)
        return [.send(["type": "chat_message", "orchestrator_agent_id": .string(orchestratorID), "message": .string(text)])]
    }

    private mutating func flushBacklog() -> [ChatEffect] {
        let pending = backlog
        backlog = []
        return pending.flatMap { send($0) }
    }

    /// After the input has ended, quit once nothing this client started is still running.
    private func finishedIfIdle() -> [ChatEffect] {
        guard inputEnded, !isOnce, backlog.isEmpty, unechoed.isEmpty, ours.isEmpty else { return [] }
        return [.exit(0)]
    }
}
