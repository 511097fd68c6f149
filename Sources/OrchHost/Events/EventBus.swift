import Foundation
import PluginAPI

/// The host's ordered event stream. Each event gets the next sequence number of
/// its orchestrator (1, 2, 3, ... without gaps), is kept in a bounded replay
/// window, and is delivered to every transport and subscriber in that order.
///
/// Delivery never happens under the lock: publishers append to a queue, and
/// whichever publisher finds no delivery in progress drains it. So transports
/// see events in `seq` order, one call at a time, and a plugin may publish from
/// inside `deliver` without deadlocking.
public final class EventBus: @unchecked Sendable {
    public typealias Subscriber = @Sendable (Event) -> Void

    private let lock = NSLock()
    private var sequences: [String: UInt64] = [:]
    private var windows: [String: ReplayWindow] = [:]
    private let windowSize: Int
    private var queue: [Event] = []
    private var queueHead = 0
    private var draining = false
    private var transports: [TransportClient] = []
    private var subscribers: [UUID: Subscriber] = [:]

    public init(replayWindow: Int) {
        self.windowSize = max(1, replayWindow)
    }

    public func attach(_ transport: TransportClient) {
        lock.withLock { transports.append(transport) }
    }

    public func detachAll() {
        lock.withLock { transports.removeAll() }
    }

    @discardableResult
    public func subscribe(_ subscriber: @escaping Subscriber) -> UUID {
        let id = UUID()
        lock.withLock { subscribers[id] = subscriber }
        return id
    }

    public func unsubscribe(_ id: UUID) {
        _ = lock.withLock { subscribers.removeValue(forKey: id) }
    }

    /// Publishes a wire message. `event.json` is the message without `seq`; the
    /// bus stamps the number into it. Returns the assigned number.
    @discardableResult
    public func publish(_ event: Event) -> UInt64 {
        var event = event
        let shouldDrain: Bool = lock.withLock {
            let seq = sequences[event.orchestratorID, default: 0] + 1
            sequences[event.orchestratorID] = seq
            event.seq = seq
            event.kind = .wire
            event.json = JSONSplice.prepending("\"seq\":\(seq)", to: event.json)
            windows[event.orchestratorID, default: ReplayWindow(capacity: windowSize)].append(event)
            queue.append(event)
            if draining { return false }
            draining = true
            return true
        }
        if shouldDrain { drain() }
        return event.seq
    }

    private func drain() {
        while true {
            let next: (Event, [TransportClient], [Subscriber])? = lock.withLock {
                guard queueHead < queue.count else {
                    queue.removeAll(keepingCapacity: true)
                    queueHead = 0
                    draining = false
                    return nil
                }
                defer { queueHead += 1 }
                return (queue[queueHead], transports, Array(subscribers.values))
            }
            guard let (event, transports, subscribers) = next else { return }
            if !transports.isEmpty {
                event.withCEvent { pointer in
                    for transport in transports { transport.deliver(pointer) }
                }
            }
            for subscriber in subscribers { subscriber(event) }
        }
    }

    /// The last sequence number published for an orchestrator (0 if none).
    public func lastSeq(of orchestratorID: String) -> UInt64 {
        lock.withLock { sequences[orchestratorID, default: 0] }
    }

    public enum Replay: Equatable, Sendable {
        /// Exactly the events after the given number, in order (possibly none).
        case events([Event])
        /// Some of the missed events have left the window: reload history instead.
        case tooOld(oldestAvailable: UInt64, last: UInt64)
    }

    /// What a client that saw everything up to `lastSeq` has missed.
    public func replay(orchestratorID: String, after lastSeq: UInt64) -> Replay {
        lock.withLock {
            let last = sequences[orchestratorID, default: 0]
            guard lastSeq < last else { return .events([]) }
            let window = windows[orchestratorID]?.events ?? []
            guard let oldest = window.first?.seq, oldest <= lastSeq + 1 else {
                return .tooOld(oldestAvailable: window.first?.seq ?? last + 1, last: last)
            }
            return .events(window.filter { $0.seq > lastSeq })
        }
    }
}

/// A fixed-capacity ring of the most recent events.
struct ReplayWindow {
    private var storage: [Event] = []
    private var start = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ event: Event) {
        if storage.count < capacity {
            storage.append(event)
        } else {
            storage[start] = event
            start = (start + 1) % capacity
        }
    }

    var events: [Event] { Array(storage[start...] + storage[..<start]) }
}
