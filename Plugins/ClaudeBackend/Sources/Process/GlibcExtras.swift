import Foundation

/// glibc functions Swift's Glibc module does not declare (they need
/// _GNU_SOURCE), looked up at run time.
enum GlibcExtras {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias DLAddr = @convention(c) (UnsafeRawPointer, UnsafeMutableRawPointer) -> Int32

    /// glibc's Dl_info.
    private struct DLInfo {
        var fileName: UnsafePointer<CChar>?
        var fileBase: UnsafeMutableRawPointer?
        var symbolName: UnsafePointer<CChar>?
        var symbolAddress: UnsafeMutableRawPointer?
    }

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        dlsym(nil, name).map { unsafeBitCast($0, to: type) }
    }

    private static let pipe2Function = symbol("pipe2", as: Pipe2.self)
    private static let dladdrFunction = symbol("dladdr", as: DLAddr.self)

    /// A pipe whose ends are close-on-exec from the start, so a child spawned
    /// concurrently elsewhere never inherits them (and keeps our child's stdin open).
    static func closeOnExecPipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        if let pipe2Function {
            guard pipe2Function(&fds, O_CLOEXEC) == 0 else { return nil }
        } else {
            guard pipe(&fds) == 0 else { return nil }
            fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        }
        return (fds[0], fds[1])
    }

    /// The path of the loaded library that contains `address`.
    static func libraryPath(containing address: UnsafeRawPointer) -> String? {
        var info = DLInfo()
        guard let dladdrFunction, withUnsafeMutableBytes(of: &info, { dladdrFunction(address, $0.baseAddress!) }) != 0,
              let name = info.fileName else { return nil }
        return String(cString: name)
    }
}
