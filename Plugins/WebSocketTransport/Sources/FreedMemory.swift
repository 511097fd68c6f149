import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives the pages of a dropped client's queue back to the system. glibc keeps what is
/// freed in its arenas for reuse, so without this the process stays near the size of the
/// largest backlog it held (measured in WebSocketMemoryTests: 4.2 MiB above the baseline
/// after a never-reading client left, 2.5 MiB with this, and a lower peak). `malloc_trim`
/// walks the heap, so it runs off the event loops and at most once a second, however many
/// clients are dropped.
enum FreedMemory {
    private static let lastTrim = Atomic<UInt64>(0)
    /// glibc's `malloc_trim`, which Swift's Glibc module does not export (it lives in malloc.h); nil elsewhere.
    private nonisolated(unsafe) static let trim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    static func release() {
        guard let trim else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let last = lastTrim.load(ordering: .relaxed)
        // `now > last` first: another loop may have stored a later time since `now` was read.
        guard now > last, now - last > 1_000_000_000, lastTrim.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else {
            return
        }
        DispatchQueue.global(qos: .utility).async { _ = trim(0) }
    }
}
