import Foundation

/// How many descriptors a process has open, from `/proc/<pid>/fd`: the test of whether
/// every socket a server accepted (and every one a test opened) was given back.
public func openDescriptors(_ pid: Int32 = getpid()) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
}
