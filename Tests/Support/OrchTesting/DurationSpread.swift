/// How a set of measured durations is printed in a test's report: never a crash
/// when a slow machine left the set empty (the test's expectations say why).
extension Array where Element == Duration {
    /// "min…max (p50 median)", or "none measured".
    public var spread: String {
        let sorted = self.sorted()
        guard let first = sorted.first, let last = sorted.last else { return "none measured" }
        return "\(first)…\(last) (p50 \(sorted[sorted.count / 2]))"
    }
}
