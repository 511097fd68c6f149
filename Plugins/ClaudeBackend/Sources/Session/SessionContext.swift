import Foundation
import PluginAPI

/// What every session of one plugin instance shares.
struct SessionContext: Sendable {
    let config: BackendConfig
    let host: GuardedHost
    let stats: LatencyStats
    let cli: CLIPath
    let run: BackendRun
}
