/// Which close codes a client may send (RFC 6455, section 7.4): 1005, 1006 and 1015 are
/// reserved for reporting, never sent; 1004 and 1016-2999 are unassigned or reserved for the
/// protocol; 3000-4999 belong to libraries and applications. A close with any other code is
/// itself a protocol error, answered 1002 rather than echoed.
enum CloseCode {
    static func isSendable(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}
