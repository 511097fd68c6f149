import Foundation

/// What every session of one plugin instance shares.
struct SessionContext: Sendable {
    let config: BackendConfig
    let host: HostLink
    let stats: LatencyStats
    let cli: CLIPath
    let run: BackendRun
}
