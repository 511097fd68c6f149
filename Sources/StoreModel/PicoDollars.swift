import PluginAPI

/// An exact amount of US dollars, in units of 10⁻¹² dollar, so that summing
/// per-turn costs never rounds (the original rounded each turn to 1/100 cent).
public struct PicoDollars: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let perDollar: Int64 = 1_000_000_000_000
    public static let zero = PicoDollars(0)

    public var value: Int64
    public init(_ value: Int64) { self.value = value }

    /// The decimal a JSON number was written as, rounded half-even to 12 places.
    /// Reads Swift's shortest round-trip rendering of the Double, so 0.000123456789
    /// becomes exactly 123456789 pico-dollars rather than a binary approximation of it.
    /// Nil when the amount is not finite or does not fit.
    public init?(dollars: Double) {
        guard dollars.isFinite else { return nil }
        var text = String(describing: dollars.magnitude)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let parsed = Int(text[text.index(after: e)...]) else { return nil }
            exponent = parsed
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        let digits = Array((whole + fraction).utf8).map { Int64($0) - 48 }
        guard digits.allSatisfy({ (0...9).contains($0) }) else { return nil }
        // value = digits × 10^(exponent − fraction.count); we want it × 10^12.
        let shift = exponent - fraction.count + 12
        var kept = digits
        var dropped: [Int64] = []
        if shift >= 0 {
            kept += Array(repeating: 0, count: shift)
        } else {
            let cut = max(0, kept.count + shift)
            dropped = Array(kept[cut...])
            kept = Array(kept[..<cut])
        }
        var result: Int64 = 0
        for digit in kept {
            let (times, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            result = sum
        }
        if let first = dropped.first {
            let rest = dropped.dropFirst().contains { $0 != 0 }
            if first > 5 || (first == 5 && (rest || result % 2 == 1)) {
                guard result < Int64.max else { return nil }
                result += 1
            }
        }
        self.value = dollars < 0 ? -result : result
    }

    /// Parses a plain decimal such as PostgreSQL's NUMERIC text ("12.345678901234").
    public init?(decimal text: String) {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 12, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
        fraction += String(repeating: "0", count: 12 - fraction.count)
        guard let small = Int64(fraction) else { return nil }
        let (big, overflow) = whole.multipliedReportingOverflow(by: Self.perDollar)
        guard !overflow else { return nil }
        self.value = negative ? -(big + small) : big + small
    }

    /// Exactly 12 decimals, as SQL NUMERIC literals and reports want it.
    public var decimal: String {
        let magnitude = value.magnitude
        let whole = magnitude / UInt64(Self.perDollar), fraction = magnitude % UInt64(Self.perDollar)
        let padded = String(fraction)
        return (value < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: 12 - padded.count) + padded
    }

    /// The Double nearest to the exact amount, for JSON replies.
    public var dollars: Double { Double(decimal) ?? Double(value) / Double(Self.perDollar) }

    public var description: String { decimal }

    public static func < (lhs: PicoDollars, rhs: PicoDollars) -> Bool { lhs.value < rhs.value }
}
