import Foundation

extension orch_bytes {
    /// An empty run, for optional fields.
    public static var empty: orch_bytes { orch_bytes(ptr: nil, len: 0) }

    /// Copies the borrowed bytes out.
    public var data: Data {
        guard let ptr, len > 0 else { return Data() }
        return Data(bytes: ptr, count: len)
    }

    /// Decodes the borrowed bytes as UTF-8 (invalid sequences are repaired, never trapped on).
    public var string: String {
        guard let ptr, len > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: ptr, count: len), as: UTF8.self)
    }

    public var isEmpty: Bool { len == 0 }
}

/// Lends `orch_bytes` views of Swift values for the duration of `body`.
@inlinable
public func withBytes<R>(_ data: Data, _ body: (orch_bytes) throws -> R) rethrows -> R {
    try data.withUnsafeBytes { raw in
        try body(orch_bytes(ptr: raw.bindMemory(to: UInt8.self).baseAddress, len: raw.count))
    }
}

@inlinable
public func withBytes<R>(_ string: String, _ body: (orch_bytes) throws -> R) rethrows -> R {
    var string = string
    return try string.withUTF8 { buffer in
        try body(orch_bytes(ptr: buffer.baseAddress, len: buffer.count))
    }
}
