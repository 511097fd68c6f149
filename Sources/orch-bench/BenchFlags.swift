import Foundation

/// A suite's `--flag value` options: each value checked, every mistake a usage
/// error that names the flag and lists the suite's flags.
struct BenchFlags {
    struct UsageError: Error, CustomStringConvertible { let description: String }

    private var values: [String: String] = [:]

    /// `known`: the suite's flags, for the error a mistyped one gets.
    init(_ arguments: [String], known: [String]) throws {
        var rest = arguments[...]
        let usage = "flags: " + known.map { "\($0) N" }.joined(separator: " ")
        while let flag = rest.popFirst() {
            guard known.contains(flag) else { throw UsageError(description: "unknown flag \(flag); \(usage)") }
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value; \(usage)") }
            values[flag] = value
        }
    }

    /// A whole number above zero (`1_000_000` allowed), if given.
    func count(_ flag: String) throws -> Int? {
        guard let text = values[flag] else { return nil }
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number > 0 else {
            throw UsageError(description: "\(flag) takes a positive whole number, not \"\(text)\"")
        }
        return number
    }

    /// A number above zero (seconds, minutes), if given.
    func amount(_ flag: String) throws -> Double? {
        guard let text = values[flag] else { return nil }
        guard let number = Double(text), number > 0, number.isFinite else {
            throw UsageError(description: "\(flag) takes a positive number, not \"\(text)\"")
        }
        return number
    }
}
