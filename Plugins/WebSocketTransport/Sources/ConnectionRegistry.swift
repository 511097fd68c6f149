import NIOCore
import Synchronization

/// Every open WebSocket, grouped by event loop. A host event costs one `execute` per
/// loop that has clients; each loop then writes it to its own connections without
/// locks or task hops, so fan-out to a thousand clients is a thousand socket writes.
final class ConnectionRegistry: Sendable {
    private let loops: [LoopConnections]
    private let total = Atomic<Int>(0)

    init(group: any EventLoopGroup) {
        loops = group.makeIterator().map { LoopConnections(eventLoop: $0) }
    }

    var count: Int { total.load(ordering: .relaxed) }

    /// The connections of the loop the caller runs on.
    func current() -> LoopConnections? { loops.first { $0.eventLoop.inEventLoop } }

    func add(_ connection: WebSocketConnection, to loop: LoopConnections) -> Int {
        loop.add(connection)
        return total.add(1, ordering: .relaxed).newValue
    }

    func remove(_ connection: WebSocketConnection, from loop: LoopConnections) {
        if loop.remove(connection) { total.subtract(1, ordering: .relaxed) }
    }

    /// Called from `deliver`, on the host's thread: never waits.
    func broadcast(_ event: OutboundEvent, metrics: TransportMetrics) {
        for loop in loops where loop.hasConnections {
            loop.eventLoop.execute { loop.broadcast(event, metrics: metrics) }
        }
    }

    func startHeartbeats(every interval: Duration) {
        for loop in loops { loop.startHeartbeat(every: interval) }
    }

    /// Closes every client with `goingAway` and waits (up to `timeout`) for their sockets to close.
    func closeAll(reason: String, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            for loop in loops {
                group.addTask {
                    let closed = try? await loop.eventLoop.submit { loop.closeAll(reason: reason) }.get()
                    guard let closed else { return }
                    _ = try? await EventLoopFuture.andAllComplete(closed, on: loop.eventLoop)
                        .withTimeout(timeout, on: loop.eventLoop).get()
                }
            }
        }
    }
}

/// The connections of one event loop. Its dictionary is only touched on that loop.
final class LoopConnections: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var connections: [ObjectIdentifier: WebSocketConnection] = [:]
    private var heartbeat: RepeatedTask?
    private let active = Atomic<Int>(0)

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    var hasConnections: Bool { active.load(ordering: .relaxed) > 0 }

    fileprivate func add(_ connection: WebSocketConnection) {
        eventLoop.preconditionInEventLoop()
        connections[ObjectIdentifier(connection)] = connection
        active.store(connections.count, ordering: .relaxed)
    }

    fileprivate func remove(_ connection: WebSocketConnection) -> Bool {
        eventLoop.preconditionInEventLoop()
        let removed = connections.removeValue(forKey: ObjectIdentifier(connection)) != nil
        active.store(connections.count, ordering: .relaxed)
        return removed
    }

    fileprivate func broadcast(_ event: OutboundEvent, metrics: TransportMetrics) {
        var written = 0
        for connection in connections.values where connection.send(event) { written += 1 }
        guard written > 0 else { return }
        metrics.framesSent.increment(by: Int64(written))
        if event.isChunk { metrics.chunksSent.increment(by: Int64(written)) }
        metrics.fanOutLatency.recordNanoseconds((NIODeadline.now() - event.deliveredAt).nanoseconds)
    }

    fileprivate func startHeartbeat(every interval: Duration) {
        let amount = TimeAmount(interval)
        heartbeat = eventLoop.scheduleRepeatedTask(initialDelay: amount, delay: amount) { [weak self] _ in
            guard let self else { return }
            let now = NIODeadline.now()
            for connection in connections.values { connection.heartbeat(now: now) }
        }
    }

    fileprivate func closeAll(reason: String) -> [EventLoopFuture<Void>] {
        heartbeat?.cancel()
        heartbeat = nil
        return connections.values.map { $0.close(code: .goingAway, reason: reason) }
    }
}

extension EventLoopFuture where Value: Sendable {
    /// Fails with `ChannelError.operationUnsupported` if the future has not completed after `timeout`.
    func withTimeout(_ timeout: Duration, on eventLoop: any EventLoop) -> EventLoopFuture<Value> {
        let promise = eventLoop.makePromise(of: Value.self)
        let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) { promise.fail(ChannelError.operationUnsupported) }
        whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
