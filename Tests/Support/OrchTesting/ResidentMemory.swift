import Foundation

/// A process's resident set in KiB, from `/proc/<pid>/status`: how the memory tests see
/// whether a server bounds what a misbehaving client costs, and gives it back.
public func residentKiB(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}
