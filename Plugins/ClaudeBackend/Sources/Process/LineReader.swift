import Foundation

/// Cuts a byte stream into lines. A line may be megabytes long (a tool result),
/// so the buffer grows as needed; only a line beyond `maxLineBytes` is dropped
/// (reported through `oversized`) so one runaway line cannot exhaust memory.
struct LineSplitter {
    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    /// How much of `buffer` is known to hold no newline, so long lines are scanned once.
    private var scanned = 0
    /// Inside a line that was dropped for its size: skip to its end.
    private var discarding = false

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    mutating func push(_ chunk: UnsafeRawBufferPointer, line: (ArraySlice<UInt8>) -> Void, oversized: (Int) -> Void) {
        buffer.append(contentsOf: chunk)
        var start = 0
        while let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
            if discarding {
                discarding = false
            } else {
                line(buffer[start..<newline])
            }
            start = newline + 1
            scanned = start
        }
        if start > 0 { buffer.removeSubrange(0..<start) }
        scanned = buffer.count
        if buffer.count > maxLineBytes {
            oversized(buffer.count)
            buffer.removeAll(keepingCapacity: false)
            scanned = 0
            discarding = true
        }
    }

    /// What is left when the stream ends without a final newline.
    mutating func finish(line: (ArraySlice<UInt8>) -> Void) {
        if !buffer.isEmpty && !discarding { line(buffer[...]) }
        buffer = []
        scanned = 0
    }
}

/// Drains a pipe on a thread of its own, so the child never stalls on a full
/// pipe and no read ever blocks the Swift cooperative pool.
enum LineReader {
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
