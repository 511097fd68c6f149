import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file without following a symlink anywhere on its path: `O_NOFOLLOW`
/// refuses one in the last component, and the path must still be its own `realpath`,
/// so a directory swapped for a symlink is refused too. Blocking; for a thread pool.
enum NoFollowRead {
    struct Refused: Error {
        var path: String
        var why: String
    }

    static func contents(of path: String) throws -> ByteBuffer {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Refused(path: path, why: "open failed with errno \(errno)") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { throw Refused(path: path, why: "not a regular file") }
        guard let real = realpath(path, nil) else { throw Refused(path: path, why: "realpath failed with errno \(errno)") }
        defer { free(real) }
        guard String(cString: real) == path else { throw Refused(path: path, why: "a directory on its path is now a symlink") }
        var buffer = ByteBufferAllocator().buffer(capacity: Int(status.st_size))
        while true {
            var result = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { space in
                result = read(fd, space.baseAddress, space.count)
                return max(result, 0)
            }
            if result == 0 { return buffer }
            if result < 0, errno != EINTR { throw Refused(path: path, why: "read failed with errno \(errno)") }
        }
    }
}
