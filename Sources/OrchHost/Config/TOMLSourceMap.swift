/// Finds the line where a key was written. TOMLKit reports lines for syntax
/// errors only, so semantic errors ("unknown plugin", "wrong type") are
/// located by scanning the text for table headers and `key =` lines.
struct TOMLSourceMap {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[[") , let end = line.range(of: "]]") {
                let name = Self.normalize(String(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound]))
                let count = arrayCounts[name, default: 0]
                arrayCounts[name] = count + 1
                table = "\(name)[\(count)]"
                record(table, lineNumber)
            } else if line.hasPrefix("["), let end = line.firstIndex(of: "]") {
                let name = Self.normalize(String(line[line.index(after: line.startIndex)..<end]))
                // `[transports.options]` after `[[transports]]` belongs to the latest element.
                table = Self.resolve(name, arrays: arrayCounts)
                record(table, lineNumber)
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = Self.normalize(String(line[..<equals]))
                record(table.isEmpty ? key : "\(table).\(key)", lineNumber)
            }
        }
    }

    private mutating func record(_ key: String, _ line: Int) {
        if lines[key] == nil { lines[key] = line }
    }

    private static func normalize(_ key: String) -> String {
        key.split(separator: ".").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
            .joined(separator: ".")
    }

    private static func resolve(_ name: String, arrays: [String: Int]) -> String {
        var parts = name.split(separator: ".").map(String.init)
        var prefix = ""
        for index in parts.indices {
            prefix = prefix.isEmpty ? parts[index] : "\(prefix).\(parts[index])"
            if let count = arrays[prefix], index < parts.count - 1 {
                parts[index] += "[\(count - 1)]"
            }
        }
        return parts.joined(separator: ".")
    }

    /// The line of `key`, else of its nearest enclosing table.
    func line(of key: String) -> Int? {
        var candidate = key
        while true {
            if let line = lines[candidate] { return line }
            guard let dot = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            candidate = String(candidate[..<dot])
        }
    }
}

import Foundation
