import Foundation
import PluginAPI

/// The host's answers to requests that plugins send (`host->request`).
///
/// A request is answered in two parts. `admit` runs the part whose order
/// matters (for `send_chat`: saving the message and queueing its turn);
/// requests from one plugin instance are admitted one at a time, in the order
/// the plugin issued them. The `Admitted` remainder (waiting for the turn, or
/// the whole of an unordered op) then runs concurrently with later requests.
public protocol HostRequestHandler: Sendable {
    func admit(_ request: Request, from plugin: String) async throws -> Admitted
}

/// A request that has passed its ordered part: what is left to produce its reply.
public struct Admitted: Sendable {
    private let remainder: @Sendable () async throws -> Data

    /// The rest of the work, run after later requests may have been admitted.
    public init(remainder: @escaping @Sendable () async throws -> Data) { self.remainder = remainder }

    /// An operation with no ordered part: all of it runs after admission.
    public static func whole(_ operation: @escaping @Sendable () async throws -> Data) -> Admitted {
        Admitted(remainder: operation)
    }

    public func reply() async throws -> Data { try await remainder() }
}

extension HostRequestHandler {
    /// Both parts, for callers inside the host.
    public func handle(_ request: Request, from plugin: String) async throws -> Data {
        try await admit(request, from: plugin).reply()
    }
}
