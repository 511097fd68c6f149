import AnthropicLoopback
import Foundation

/// `anthropic-loopback`: the AnthropicLoopback as a process, for tests written
/// in other languages (the browser tests). It prints `listening <base URL>`,
/// then reads one JSON command per line on stdin and answers each with a line
/// `ok` or `error: <why>`. End of input stops it.
///
///   {"text": "Hello", "delay_ms": 20}          a text reply, one delta per word
///   {"thinking": "hmm", "text": "Answer"}      a thinking block, then text
///   {"slow_words": 200, "every_ms": 10}        "w0 w1 …", one word every every_ms
///   {"tool": "Bash", "input": {"command": "ls"}, "text": "Let me look"}
///   {"error": 529}                             that HTTP error
///   "times": N on any of them repeats it for the next N requests.
///   "for_system": "[agent-tester]" on any of them queues it only for requests whose
///   system prompt contains that text (an orchestrator and its agents share one loopback).
/// One line on stdout, unbuffered: the test reads it while this process runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let loopback = try await AnthropicLoopback.start()
say("listening \(loopback.baseURL)")

/// A command this process does not understand, said plainly on stdout.
struct CommandError: Error, CustomStringConvertible {
    let description: String
}

func reply(from command: [String: Any]) throws -> Reply {
    let delay = Duration.milliseconds(command["delay_ms"] as? Int ?? 0)
    if let status = command["error"] as? Int { return .error(status) }
    if let words = command["slow_words"] as? Int {
        return .slow(words: words, every: .milliseconds(command["every_ms"] as? Int ?? 10))
    }
    if let tool = command["tool"] as? String {
        let input = try JSONSerialization.data(withJSONObject: command["input"] ?? [String: Any]())
        return .toolUse(tool, input: String(decoding: input, as: UTF8.self), saying: command["text"] as? String)
    }
    if let thinking = command["thinking"] as? String { return .thinking(thinking, then: command["text"] as? String ?? "") }
    if let text = command["text"] as? String { return .text(text, delay: delay) }
    throw CommandError(description: "the command has none of text, thinking, slow_words, tool or error: \(command.keys.sorted())")
}

while let line = readLine() {
    do {
        guard let command = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw CommandError(description: "not a JSON object: \(line.prefix(80))")
        }
        let times = command["times"] as? Int ?? 1
        if let marker = command["for_system"] as? String {
            loopback.enqueue(try reply(from: command), times: times, forSystemContaining: marker)
        } else {
            loopback.enqueue(try reply(from: command), times: times)
        }
        say("ok")
    } catch {
        say("error: \(error)")
    }
}
await loopback.shutdown()
