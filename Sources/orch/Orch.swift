import ArgumentParser

@main
struct Orch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orch",
        abstract: "Hosts the Orch orchestrator agent; stores, model backends and transports are plugins chosen in config/orch.toml.",
        subcommands: [Serve.self, Chat.self, Plugins.self, CheckConfig.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every subcommand that reads the config shares.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The config file.")
    var config: String = "config/orch.toml"
}
