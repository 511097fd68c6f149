/// Ctrl+C once interrupts; twice within `window` quits.
struct ChatDoublePress: Equatable {
    var window: Duration = .seconds(2)
    private var last: ContinuousClock.Instant?

    /// Records a press; true when it is the second within the window.
    mutating func press(at now: ContinuousClock.Instant) -> Bool {
        defer { last = now }
        guard let last else { return false }
        return now - last <= window
    }
}
