import Foundation

/// Time-ordered ids (RFC 9562 UUIDv7): a 48-bit millisecond timestamp, then a
/// 12-bit counter that keeps ids made within one millisecond in creation
/// order, then random bits. Ids stay unique across processes and sort roughly
/// by time, which keeps B-tree inserts at the right edge of the index. The
/// stores make the ids of the rows they create; the host makes the ids of
/// reply rows (it streams a reply under its id before the row is written).
public enum UUIDv7 {
    public static func next() -> String { generator.next() }

    private static let generator = Generator()

    private final class Generator: @unchecked Sendable {
        private let lock = NSLock()
        private var lastMillis: UInt64 = 0
        private var counter: UInt64 = 0

        func next() -> String {
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            let (millis, sequence): (UInt64, UInt64) = lock.withLock {
                if now > lastMillis {
                    lastMillis = now
                    counter = UInt64.random(in: 0..<0x800) // leaves room to count up within the millisecond
                } else {
                    counter += 1
                    if counter > 0xFFF { // more than 2048 ids in one millisecond: borrow the next one
                        lastMillis += 1
                        counter = 0
                    }
                }
                return (lastMillis, counter)
            }
            let random = UInt64.random(in: 0...UInt64.max)
            let high = (millis << 16) | 0x7000 | sequence
            let low = (random & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
            return format(high, low)
        }

        private func format(_ high: UInt64, _ low: UInt64) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
            var position = 0
            for index in 0..<32 {
                if index == 8 || index == 12 || index == 16 || index == 20 { position += 1 }
                let word = index < 16 ? high : low
                let shift = UInt64(60 - (index % 16) * 4)
                bytes[position] = digits[Int((word >> shift) & 0xF)]
                position += 1
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
