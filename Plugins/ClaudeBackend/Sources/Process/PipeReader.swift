import Foundation

/// Drains a pipe on a thread of its own, so the child never stalls on a full
/// pipe and no read ever blocks the Swift cooperative pool.
enum PipeReader {
    /// Reads `fd` until end of file, calling `line` with each line and the instant
    /// its bytes came off the pipe; then closes `fd` and calls `end`.
    static func start(fd: Int32, name: String, maxLineBytes: Int,
                      line: @escaping @Sendable (ArraySlice<UInt8>, ContinuousClock.Instant) -> Void,
                      oversized: @escaping @Sendable (Int) -> Void,
                      end: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            let capacity = 256 * 1024
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
            defer { chunk.deallocate() }
            while true {
                let count = read(fd, chunk.baseAddress, capacity)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                let readAt = ContinuousClock.now
                splitter.push(UnsafeRawBufferPointer(rebasing: chunk[0..<count]), line: { line($0, readAt) }, oversized: oversized)
            }
            splitter.finish { line($0, .now) }
            close(fd)
            end()
        }
        thread.name = name
        thread.start()
    }
}
