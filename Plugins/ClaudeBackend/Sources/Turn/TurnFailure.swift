import Foundation
import PluginAPI

/// Why Orch itself stopped a turn early.
enum StopReason: Sendable, Equatable {
    case interrupt
    /// `stop_session`: the turn is interrupted and its process ended.
    case stopped
    case timeout(Duration)
}

/// The failure classes a turn can end with (docs/claude-backend.md,
/// "Failures"): the error `code` is the class the UI shows.
///
/// The CLI reports API errors as a `result` with `is_error: true` (its
/// `subtype` stays "success"), so they are told apart by `api_error_status`
/// and the class on the synthetic `assistant` error message.
enum TurnFailure {
    static func fromResult(_ result: CLIMessage, facts: TurnFacts, stop: StopReason?, retries: Int) -> PluginError? {
        let subtype = result.subtype ?? ""
        guard result.isError == true || subtype.hasPrefix("error") else { return nil }
        let detail = result.result ?? facts.apiError?.text ?? result.errors?.joined(separator: "; ") ?? subtype
        if case .timeout(let limit)? = stop { return timeout(limit, killed: false) }
        if stop == .interrupt {
            return PluginError(.cancelled, code: "interrupted", "the turn was interrupted; what was written so far is kept and the session stays usable", retryable: false)
        }
        if stop == .stopped { return stoppedDuringTurn }
        if subtype == "error_max_turns" {
            return PluginError(.cancelled, code: "max_turns", "the agent stopped after max_turns tool rounds (\(detail)); raise max_turns in [backend.options] or send a follow-up message", retryable: false)
        }
        if let missing = result.errors?.first(where: { $0.contains("No conversation found") }) {
            return sessionNotFound(missing)
        }
        let status = result.apiErrorStatus ?? facts.apiError?.status
        let http = status.map { " (HTTP \($0))" } ?? ""
        let afterRetries = retries > 0 ? " after \(retries) retr\(retries == 1 ? "y" : "ies")" : ""
        let cliSaid = ". Claude CLI: \(detail)"
        switch (status, facts.apiError?.kind) {
        case (nil, "authentication_failed"?) where detail.localizedCaseInsensitiveContains("not logged in"):
            return PluginError(.unavailable, code: "authentication_failed",
                               "no Anthropic API key is set; set ANTHROPIC_API_KEY in orch's environment or in [backend.options.env]\(cliSaid)", retryable: false)
        case (401?, _), (403?, _), (_, "authentication_failed"?):
            return PluginError(.unavailable, code: "authentication_failed",
                               "the Anthropic API rejected the API key\(http)\(afterRetries); check ANTHROPIC_API_KEY in orch's environment or in [backend.options.env]\(cliSaid)", retryable: false)
        case (429?, _), (_, "rate_limit"?):
            return PluginError(.unavailable, code: "rate_limited",
                               "the Anthropic API rate limit was hit\(http)\(afterRetries); wait a moment and send the message again\(cliSaid)", retryable: true)
        case (529?, _):
            return PluginError(.unavailable, code: "overloaded",
                               "the Anthropic API is overloaded\(http)\(afterRetries); try again in a moment\(cliSaid)", retryable: true)
        case (413?, _):
            return PluginError(.invalid, code: "request_too_large",
                               "the request to the Anthropic API was too large\(http); shorten the message or start a new session\(cliSaid)", retryable: false)
        default:
            let serverSide = status.map { $0 >= 500 } ?? true
            return PluginError(serverSide ? .unavailable : .invalid, code: "api_error",
                               "the Anthropic API call failed\(http)\(afterRetries); \(serverSide ? "try again in a moment" : "the request was refused, see the details")\(cliSaid)",
                               retryable: serverSide)
        }
    }

    /// The CLI exited before the turn's `result`.
    static func fromExit(_ status: ExitStatus, stderr: [String], stop: StopReason?, partialCharacters: Int) -> PluginError {
        let said = stderr.suffix(5).joined(separator: " | ")
        if case .timeout(let limit)? = stop { return timeout(limit, killed: true) }
        if stop == .stopped { return stoppedDuringTurn }
        if let line = stderr.first(where: { $0.contains("is already in use") }) {
            return PluginError(.conflict, code: "session_in_use", "the Claude CLI refused to create the session: \(line); send the turn with \"resume\": true to continue it", retryable: false)
        }
        if let line = stderr.first(where: { $0.contains("No conversation found") }) {
            return sessionNotFound(line)
        }
        let kept = partialCharacters > 0 ? "the \(partialCharacters) characters streamed so far are kept as a partial reply; " : ""
        return PluginError(.unavailable, code: "cli_exited",
                           "the Claude CLI \(status) in the middle of the turn; \(kept)the session is resumable, send the next message to continue\(said.isEmpty ? "" : ". Its last words on stderr: \(said)")",
                           retryable: true)
    }

    /// The turn ran when its session was stopped (`stop_session`).
    static let stoppedDuringTurn = PluginError(.cancelled, code: "interrupted",
        "the turn was interrupted because its session was stopped; what was written so far is kept and the next turn resumes the session in a new process",
        retryable: false)

    /// The session was stopped while the turn waited behind another or for its process to start.
    static let stoppedBeforeSent = PluginError(.cancelled, code: "interrupted",
        "the session was stopped before this turn was sent; nothing reached the model",
        retryable: false)

    static func timeout(_ limit: Duration, killed: Bool) -> PluginError {
        PluginError(.timeout, code: "timeout",
                    "the turn ran longer than turn_timeout_s (\(limit)) and was \(killed ? "stopped by killing the CLI, which did not answer the interrupt" : "interrupted"); the session stays usable, raise turn_timeout_s for longer turns",
                    retryable: true)
    }

    private static func sessionNotFound(_ detail: String) -> PluginError {
        PluginError(.notFound, code: "session_not_found", "the Claude CLI has no such session to resume (\(detail)); start a new session, or check that config_dir is the one the session was created with", retryable: false)
    }
}
