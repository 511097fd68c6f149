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
