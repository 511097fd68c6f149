#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a `listen` host is reachable from this machine alone, decided by what it
/// resolves to rather than how it is spelled: "127.evil.example" is a name like any
/// other, and may resolve anywhere. Only a host whose every address is in 127.0.0.0/8
/// or is ::1 counts; a name that does not resolve does not. Resolving may block, so
/// this runs once, when the options are read at create time.
enum LoopbackHost {
    static func isLoopback(_ host: String) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            guard let address = current.pointee.ai_addr, isLoopback(address, family: current.pointee.ai_family) else { return false }
            entry = current.pointee.ai_next
        }
        return true
    }

    private static func isLoopback(_ address: UnsafeMutablePointer<sockaddr>, family: Int32) -> Bool {
        switch family {
        case AF_INET:
            // s_addr is in network order: its first byte in memory is the first octet.
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin_addr) { $0[0] == 127 }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin6_addr) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
            }
        default:
            return false
        }
    }
}
