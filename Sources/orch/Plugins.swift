import ArgumentParser
import Foundation
import OrchHost
import PluginAPI

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every plugin in the plugin directories, and why any cannot load.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        // The config only contributes plugin_dirs here, so a missing default config is fine.
        var dirs: [String] = []
        var base = FileManager.default.currentDirectoryPath
        if FileManager.default.fileExists(atPath: options.config) {
            do {
                let section = try ConfigLoader.loadHostSection(file: options.config)
                dirs = section.host.pluginDirs
                base = section.baseDirectory
            } catch { throw fail(error.description, code: 2) }
        }
        let locator = PluginLocator(configured: dirs, relativeTo: base)
        say("searched: \(locator.directories.joined(separator: ", "))")
        let libraries = locator.allLibraries()
        if libraries.isEmpty { say("no plugins found; build them with `swift build`") }
        for path in libraries {
            do {
                let library = try PluginLibrary.open(path)
                say("\(library.name)\t\(library.kinds.map(\.rawValue).joined(separator: ","))\t\(library.version)\tABI \(library.abi)\t\(library.toolchain)\t\(path)")
            } catch {
                say("(unusable)\t\(path)\t\(error)")
            }
        }
    }
}
