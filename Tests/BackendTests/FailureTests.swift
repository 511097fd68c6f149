import AnthropicLoopback
import Foundation
import OrchHost
import OrchTesting
import PluginAPI
import Testing

/// Each failure class a turn can end with, as the UI receives it: a status, a
/// stable code, and a message saying what was wrong and what to do.
@Suite(.serialized) struct FailureTests {
    static let install = "install it with `pip install claude-agent-sdk` (it bundles the CLI) or `npm install -g @anthropic-ai/claude-code`, or set cli_path in [backend.options]"

    @Test func aMissingCLIIsReportedWithHowToInstallIt() async throws {
        let harness = try await BackendHarness.start(["cli_path": .string("/nonexistent/claude")])
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "cli_not_found",
            "the Claude Code CLI was not found at cli_path /nonexistent/claude; \(Self.install)", retryable: false))
        #expect(turn.events.isEmpty)
    }

    @Test func aCLIThatIsNotExecutableIsReportedAsSuch() async throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("claude").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o644])
        let harness = try await BackendHarness.start(["cli_path": .string(path)])
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "cli_not_found",
            "the Claude Code CLI at \(path) is not executable; run `chmod +x \(path)` or \(Self.install)", retryable: false))
    }

    @Test func withNoCLIOnPathAndNoSDKTheDefaultLookupSaysWhatToInstall() async throws {
        let harness = try await BackendHarness.start(env: ["PATH": "/nonexistent"])
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "cli_not_found",
            "the Claude Code CLI was not found: no `claude` on PATH and no claude-agent-sdk with a bundled CLI for python3; \(Self.install)", retryable: false))
    }

    @Test func aRejectedAPIKeyIsAnAuthenticationFailure() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.error(401, message: "invalid x-api-key"))
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "authentication_failed",
            "the Anthropic API rejected the API key (HTTP 401); check ANTHROPIC_API_KEY in orch's environment or in [backend.options.env]. Claude CLI: Invalid API key · Fix external API key",
            retryable: false))
        #expect(harness.loopback.messageRequests.first?.headers["x-api-key"] == "test-key")
    }

    @Test func aMissingAPIKeyIsAnAuthenticationFailureThatSaysWhichVariable() async throws {
        let harness = try await BackendHarness.start(env: ["ANTHROPIC_API_KEY": ""])
        defer { Task { await harness.stop() } }
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "authentication_failed",
            "no Anthropic API key is set; set ANTHROPIC_API_KEY in orch's environment or in [backend.options.env]. Claude CLI: Not logged in · Please run /login",
            retryable: false))
    }

    @Test func aRateLimitIsRetriedThenReported() async throws {
        let harness = try await BackendHarness.start(["max_retries": .int(1)])
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.error(429, message: "rate limited", retryAfter: 0), times: 2)
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "rate_limited",
            "the Anthropic API rate limit was hit (HTTP 429) after 1 retry; wait a moment and send the message again. Claude CLI: API Error: Request rejected (429) · rate limited",
            retryable: true))
        let retry = try json(try #require(turn.events(.retry).first).json)
        #expect(retry["attempt"] == .int(1) && retry["max_retries"] == .int(1))
        #expect(retry["error"] == .string("rate_limit") && retry["error_status"] == .int(429))
        #expect((retry["delay_ms"]?.intValue ?? -1) >= 0)
        #expect(harness.loopback.messageRequests.count == 2)
    }

    @Test func anOverloadedAPIIsRetriedThenReported() async throws {
        let harness = try await BackendHarness.start(["max_retries": .int(1)])
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.error(529, message: "Overloaded", retryAfter: 0), times: 2)
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "overloaded",
            "the Anthropic API is overloaded (HTTP 529) after 1 retry; try again in a moment. Claude CLI: API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:\(harness.loopback.port)).",
            retryable: true))
        #expect(turn.events(.retry).count == 1)
    }

    @Test func aRequestTooLargeIsReported() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.error(413, message: "Request exceeds the maximum size"))
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.invalid, code: "request_too_large",
            "the request to the Anthropic API was too large (HTTP 413); shorten the message or start a new session. Claude CLI: Request too large (max 32MB). Accumulated images and attachments in the conversation pushed the request over the limit. Remove older images or compact the conversation.",
            retryable: false))
    }

    @Test func anotherAPIErrorIsReportedAsAnAPIError() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.error(500, message: "Internal server error"))
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "api_error",
            "the Anthropic API call failed (HTTP 500); try again in a moment. Claude CLI: API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:\(harness.loopback.port)).",
            retryable: true))
        // The session stays usable after an API error.
        let next = await harness.turn("again", session: try #require(turn.statusResult?["session_id"]?.stringValue))
        #expect(next.value != nil, "\(String(describing: next.error))")
    }

    @Test func aStreamThatFailsMidwayIsWithdrawnAndReplacedByTheRetriedAnswer() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.midstreamError(after: "Partial answer before"))
        harness.loopback.enqueue(.text("The complete answer."))
        let turn = await harness.turn("hi", session: newSession())

        #expect(turn.value?["text"] == .string("The complete answer."), "\(String(describing: turn.error))")
        #expect(turn.deltaText == "Partial answer before")
        let draft = try #require(turn.events(.textDelta).first?.messageID)
        #expect(turn.events.map(\.kind).filter { $0 != .hook && $0 != .status } == [.textDelta, .textDelta, .textDelta, .draftWithdrawn, .blockFinal])
        #expect(turn.events(.draftWithdrawn).map(\.messageID) == [draft])
        #expect(turn.finalTexts == ["The complete answer."])
        #expect(turn.events(.blockFinal).first?.messageID != draft)
        // The CLI retried without streaming.
        #expect(harness.loopback.messageRequests.map(\.stream) == [true, false])
    }

    @Test func aStreamThatFailsMidwayAndThenForGoodIsReported() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        harness.loopback.enqueue(.midstreamError(after: "Partial answer before"))
        harness.loopback.enqueue(.error(529))
        let turn = await harness.turn("hi", session: newSession())
        #expect(turn.error == PluginError(.unavailable, code: "overloaded",
            "the Anthropic API is overloaded (HTTP 529); try again in a moment. Claude CLI: API Error: 529 Loopback simulated 529. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:\(harness.loopback.port)).",
            retryable: true))
        #expect(turn.events(.draftWithdrawn).count == 1)
        #expect(turn.finalTexts.isEmpty)
    }

    @Test func resumingASessionTheCLIDoesNotKnowIsReported() async throws {
        let harness = try await BackendHarness.start()
        defer { Task { await harness.stop() } }
        let session = newSession()
        let turn = await harness.turn("hi", session: session, resume: true)
        #expect(turn.error == PluginError(.notFound, code: "session_not_found",
            "the Claude CLI has no such session to resume (No conversation found with session ID: \(session)); start a new session, or check that config_dir is the one the session was created with",
            retryable: false))
        #expect(harness.loopback.messageRequests.isEmpty)
    }

    @Test func malformedAndHugeOutputLinesAreSkippedAndLoggedNeverFatal() async throws {
        // The real CLI behind a wrapper that first prints lines no CLI should print.
        let probe = try await BackendHarness.start()
        _ = await probe.turn("hi", session: newSession())
        let cli = try #require(try await probe.request(["op": .string("status")])["cli_path"]?.stringValue)
        await probe.stop()
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wrapper = directory.appendingPathComponent("noisy-claude").path
        let script = """
            #!/bin/sh
            printf '%s\\n' 'this is not json' '{"type": "assistant", "message": ' '{"type": 42}' '[1, 2, 3]'
            printf '{"type":"noise","pad":"'; head -c 3000000 /dev/zero | tr '\\0' x; printf '"}\\n'
            exec '\(cli)' "$@"
            """
        try script.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)

        let harness = try await BackendHarness.start(["cli_path": .string(wrapper)])
        defer { Task { await harness.stop() } }
        let session = newSession()
        let turn = await harness.turn("hi", session: session)
        #expect(turn.finalTexts == ["Loopback reply #1. You said: hi"], "\(String(describing: turn.error))")
        let skipped = harness.logs.messages.filter { $0.contains("skipped a malformed line from the Claude CLI for session \(session)") }
        #expect(skipped == [
            "warning: skipped a malformed line from the Claude CLI for session \(session) (16 bytes): this is not json",
            "warning: skipped a malformed line from the Claude CLI for session \(session) (33 bytes): {\"type\": \"assistant\", \"message\": ",
            "warning: skipped a malformed line from the Claude CLI for session \(session) (12 bytes): {\"type\": 42}",
            "warning: skipped a malformed line from the Claude CLI for session \(session) (9 bytes): [1, 2, 3]",
        ])
    }
}
