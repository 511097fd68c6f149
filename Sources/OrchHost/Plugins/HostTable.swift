import Foundation
import Logging
import PluginAPI
import PluginLogging

/// The `orch_host` table one plugin instance receives, and the Swift state
/// behind its `ctx`. It outlives the instance: it is released only after
/// `destroy` has returned.
final class HostTable: @unchecked Sendable {
    let label: String
    let logger: Logger
    /// Requests in the order the plugin issued them, admitted one at a time.
    let intake: AsyncStream<(Data, orch_completion)>.Continuation
    let requests: any HostRequestHandler
    let events: any HostEventSink
    /// The options JSON, in memory that never moves while the plugin may read it.
    private let config: UnsafeMutableBufferPointer<UInt8>
    let table: UnsafeMutablePointer<orch_host>

    init(label: String, config: Data, logger: Logger, requests: any HostRequestHandler, events: any HostEventSink) {
        self.label = label
        self.logger = logger
        let (stream, intake) = AsyncStream<(Data, orch_completion)>.makeStream()
        self.intake = intake
        Task { [requests, label] in
            for await (body, completion) in stream {
                do {
                    let admitted = try await requests.admit(try Request(json: body), from: label)
                    Task { await completion.complete { try await admitted.reply() } }
                } catch {
                    completion.complete(.failure(PluginError(error)))
                }
            }
        }
        self.requests = requests
        self.events = events
        self.config = .allocate(capacity: max(config.count, 1))
        _ = self.config.initialize(from: config)
        self.table = .allocate(capacity: 1)
        table.initialize(to: orch_host(
            struct_size: UInt32(MemoryLayout<orch_host>.size), abi_major: ABI.major, abi_minor: ABI.minor,
            host_version: hostVersionCString, ctx: nil,
            log: hostLog, request: hostRequest, publish: hostPublish, config: hostConfig, get_extension: hostGetExtension))
        configLength = config.count
        table.pointee.ctx = Unmanaged.passUnretained(self).toOpaque()
    }

    private let configLength: Int
    var configBytes: orch_bytes { orch_bytes(ptr: config.baseAddress, len: configLength) }

    deinit {
        intake.finish()
        table.deallocate()
        config.deallocate()
    }

    static func from(_ host: UnsafePointer<orch_host>?) -> HostTable? {
        guard let ctx = host?.pointee.ctx else { return nil }
        return Unmanaged<HostTable>.fromOpaque(ctx).takeUnretainedValue()
    }
}

public let hostVersion = "0.1.0"
nonisolated(unsafe) private let hostVersionCString = UnsafePointer(strdup(hostVersion)!)

private let hostLog: @convention(c) (UnsafePointer<orch_host>?, orch_log_level, orch_bytes) -> Void = { host, level, message in
    guard let table = HostTable.from(host) else { return }
    table.logger.log(level: Logger.Level(LogLevel(rawValue: level) ?? .error), "\(message.string)", metadata: ["plugin": "\(table.label)"])
}

private let hostRequest: @convention(c) (UnsafePointer<orch_host>?, orch_bytes, orch_completion) -> Void = { host, json, completion in
    guard let table = HostTable.from(host) else {
        completion.complete(.failure(.internal("host->request called with a host table the host does not know")))
        return
    }
    table.intake.yield((json.data, completion))
}

private let hostPublish: @convention(c) (UnsafePointer<orch_host>?, UnsafePointer<orch_event>?) -> Void = { host, event in
    guard let table = HostTable.from(host), let event else { return }
    table.events.publish(EventView(event), from: table.label)
}

private let hostConfig: @convention(c) (UnsafePointer<orch_host>?) -> orch_bytes = { host in
    HostTable.from(host)?.configBytes ?? .empty
}

private let hostGetExtension: @convention(c) (UnsafePointer<orch_host>?, UnsafePointer<CChar>?) -> UnsafeRawPointer? = { _, _ in nil }
