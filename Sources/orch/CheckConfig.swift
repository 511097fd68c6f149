import ArgumentParser
import Foundation
import Logging
import OrchHost
import PluginAPI

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the config and open (without starting) every plugin it names.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let config: OrchConfig
        do { config = try ConfigLoader.load(file: options.config) } catch { throw fail(error.description, code: 2) }
        let loader = PluginLoader(locator: PluginLocator(configured: config.host.pluginDirs, relativeTo: config.baseDirectory),
                                  logger: Logger(label: "orch"))
        for (kind, choice) in config.plugins {
            do {
                let library = try loader.library(choice.plugin, relativeTo: config.baseDirectory)
                guard library.kinds.contains(kind) else {
                    throw PluginLoadError.kindNotProvided(path: library.path, plugin: library.name, kind: kind, provides: library.kinds)
                }
                say("\(choice.key): \(library.name) \(library.version) (ABI \(library.abi)) at \(library.path)")
            } catch {
                let line = choice.line.map { ":\($0)" } ?? ""
                throw fail("\(config.file)\(line): \(choice.key).plugin: \(error)", code: 3)
            }
        }
        say("\(config.file): ok")
    }
}
