import Foundation
import Synchronization

/// The sessions of one plugin instance, by session id.
final class Sessions: Sendable {
    private let context: SessionContext
    private let byID = Mutex<[String: Session]>([:])

    init(context: SessionContext) { self.context = context }

    /// The session, created on first use.
    func session(_ id: String) -> Session {
        byID.withLock { byID in
            if let existing = byID[id] { return existing }
            let created = Session(id: id, context: context)
            byID[id] = created
            return created
        }
    }

    func existing(_ id: String) -> Session? { byID.withLock { $0[id.lowercased()] } }

    var all: [Session] { byID.withLock { $0.values.sorted { $0.id < $1.id } } }

    /// Ends every CLI process, blocking up to about `grace` for them to save
    /// their sessions after stdin closes, then killing what is left.
    func shutdown(grace: TimeInterval) {
        let connections = all.compactMap { $0.beginShutdown() }
        connections.forEach { $0.closeStdin() }
        let deadline = Date().addingTimeInterval(grace)
        connections.forEach { $0.finishClose(until: deadline) }
    }
}
