/// What one client may have waiting for it: frames of every kind (host events, replies,
/// pongs, errors, pings) written while its socket took no more, plus live events held
/// back during a resume. Counted in frames as well as bytes because NIO keeps each
/// small frame as its own buffer: a flood of 2-byte pongs costs memory in frames, not
/// in bytes. Loop-confined, as its connection.
///
/// What the socket still takes is not counted: the kernel's buffer (SO_SNDBUF) and NIO's
/// own up to the high-water mark are fixed per socket (see `ServerChannel`).
struct OutboundBudget {
    struct Limits: Sendable {
        var frames: Int
        var bytes: Int
    }

    let limits: Limits
    private var blockedFrames = 0
    private var blockedBytes = 0
    private var heldFrames = 0
    private var heldBytes = 0

    init(_ limits: Limits) { self.limits = limits }

    var isExceeded: Bool {
        blockedFrames + heldFrames > limits.frames || blockedBytes + heldBytes > limits.bytes
    }

    /// A frame written while the socket was not writable.
    mutating func queued(_ bytes: Int) {
        blockedFrames += 1
        blockedBytes += bytes
    }

    /// The socket takes data again: what was queued fits under its low-water mark.
    mutating func drained() {
        blockedFrames = 0
        blockedBytes = 0
    }

    mutating func held(_ bytes: Int) {
        heldFrames += 1
        heldBytes += bytes
    }

    mutating func released(frames: Int, bytes: Int) {
        heldFrames -= frames
        heldBytes -= bytes
    }

    /// Whether a replay of this size could ever be written without exceeding the limits.
    func fits(frames: Int, bytes: Int) -> Bool { frames <= limits.frames && bytes <= limits.bytes }

    var reason: String {
        "too slow: over \(limits.frames) frames or \(limits.bytes) bytes queued; reconnect and resume from your last seq"
    }
}
