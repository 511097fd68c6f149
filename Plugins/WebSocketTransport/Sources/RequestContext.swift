import Hummingbird
import NIOCore

/// Hummingbird's basic request context plus the client's address, which wrong tokens are
/// counted against (`LoginThrottle`).
struct TransportRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address, the key of its wrong-token count.
    var clientAddress: String? { remoteAddress?.ipAddress }
}
