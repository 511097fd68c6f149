import Foundation
import OrchHost

/// A host request table with the operations a bare test needs.
public func testRequests() -> HostRequests {
    let requests = HostRequests()
    requests.register("ping") { _, _ in Data(#"{"pong":true}"#.utf8) }
    return requests
}
