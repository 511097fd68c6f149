// swift-tools-version:6.0
import PackageDescription

// Every plugin exports exactly one symbol (`orch_plugin_entry_v1`); the version
// script hides the rest, so C symbols bundled into two plugins (NIO's llhttp,
// BoringSSL, ...) can never bind across images. See docs/plugin-abi.md.
let pluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/PluginAPI/plugin-exports.map"])
]

/// A plugin is a self-contained `.dynamic` library product; nothing links against it,
/// the host and the tests `dlopen` the built `lib<Name>.so`.
func plugin(_ name: String, path: String, dependencies: [Target.Dependency] = [], resources: [Resource]? = nil) -> (Product, Target) {
    (
        .library(name: name, type: .dynamic, targets: [name]),
        .target(
            name: name,
            dependencies: ["PluginAPI"] + dependencies,
            path: path,
            resources: resources,
            linkerSettings: pluginLinkerSettings
        )
    )
}

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
]

let plugins = [
    plugin("SwiftEchoPlugin", path: "Tests/Plugins/SwiftEchoPlugin"),
    plugin("NIOLineTransport", path: "Tests/Plugins/NIOLineTransport", dependencies: nio),
    plugin("NIOLineProbe", path: "Tests/Plugins/NIOLineProbe", dependencies: nio),
    // Migrations are .sql files compiled into the library: a plugin is one file, with no resource bundle beside it.
    plugin("PostgresStore", path: "Plugins/PostgresStore/Sources", dependencies: ["CLibPQ", "StoreModel", "StoreSupport"],
           resources: [.embedInCode("Migrations")]),
    plugin("SQLiteStore", path: "Plugins/SQLiteStore/Sources", dependencies: ["CSQLite", "StoreModel", "StoreSupport"],
           resources: [.embedInCode("Migrations")]),
    plugin("ClaudeBackend", path: "Plugins/ClaudeBackend/Sources", dependencies: ["CTiedSpawn"]),
    plugin("WebSocketTransport", path: "Plugins/WebSocketTransport/Sources", dependencies: ["PluginLogging"] + nio + [
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
    ]),
]

let package = Package(
    name: "Orch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orch", targets: ["orch"]),
        .executable(name: "orch-bench", targets: ["orch-bench"]),
    ] + plugins.map(\.0),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The ABI contract: one header-only C target, depended on by everything.
        .target(name: "COrchPlugin", path: "Sources/PluginAPI/C"),
        // Swift conveniences over the C contract, compiled into the host and into every Swift plugin.
        .target(name: "PluginAPI", dependencies: ["COrchPlugin"], path: "Sources/PluginAPI/Swift"),
        // swift-log over the ABI's log: for Swift plugins that log through swift-log, and the host. Kept out of
        // PluginAPI so a plugin that does not use swift-log does not link it.
        .target(name: "PluginLogging", dependencies: ["PluginAPI", .product(name: "Logging", package: "swift-log")], path: "Sources/PluginLogging"),
        // The store's model (records, operations, the typed `StoreAPI`): what only stores and the host import.
        .target(name: "StoreModel", dependencies: ["PluginAPI"], path: "Sources/StoreModel"),
        .target(
            name: "OrchHost",
            dependencies: [
                "PluginAPI",
                "PluginLogging",
                "StoreModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Sources/OrchHost"
        ),
        .executableTarget(
            name: "orch",
            dependencies: ["OrchHost", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/orch"
        ),
        .executableTarget(name: "orch-bench", dependencies: ["OrchHost", "StoreModel", "PostgresCluster", "AnthropicLoopback"] + nio, path: "Sources/orch-bench"),
        // What several test targets share: paths, recorders, waiting with deadlines, the seeded generator, a real
        // `orch serve` over the Unix socket and its line client. A library, as NIOTestUtils is; it reaches `orch`'s
        // ChatConnection through `package` access, so it also compiles in release builds.
        .target(name: "OrchTesting", dependencies: ["OrchHost", "PluginAPI", "orch", .product(name: "Logging", package: "swift-log")], path: "Tests/Support/OrchTesting"),
        // Tests never depend on plugin targets: they dlopen the built libraries, as the host does.
        // `orch` itself is a dependency so the terminal client's logic (`orch chat`) is tested directly.
        .testTarget(name: "HostTests", dependencies: ["OrchHost", "StoreModel", "PostgresCluster", "AnthropicLoopback", "orch", "OrchTesting"],
                    path: "Tests/HostTests"),
        .testTarget(name: "StoreTests", dependencies: ["OrchHost", "StoreModel", "StoreSupport", "PostgresCluster", "OrchTesting"], path: "Tests/StoreTests"),
        .testTarget(name: "BackendTests", dependencies: ["OrchHost", "AnthropicLoopback", "OrchTesting"], path: "Tests/BackendTests"),
        // A throwaway PostgreSQL server for the store tests and `orch-bench store`.
        .target(name: "PostgresCluster", path: "Sources/TestServers/PostgresCluster"),
        // A scriptable stand-in for the Anthropic Messages API, shared by the tests and benchmarks.
        .target(name: "AnthropicLoopback", dependencies: nio + [.product(name: "NIOHTTP1", package: "swift-nio")],
                path: "Sources/TestServers/AnthropicLoopback", exclude: ["README.md"]),
        // The loopback as a process, scripted over stdin, for the browser tests (Tests/Browser).
        .executableTarget(name: "anthropic-loopback", dependencies: ["AnthropicLoopback"], path: "Sources/TestServers/anthropic-loopback"),
        // What both store plugins share beyond the ABI: worker threads, ids, migrations.
        .target(name: "StoreSupport", dependencies: ["StoreModel"], path: "Sources/StoreSupport"),
        .systemLibrary(name: "CLibPQ", path: "Plugins/PostgresStore/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Forks ClaudeBackend's CLI processes tied to the host's life (PR_SET_PDEATHSIG).
        .target(name: "CTiedSpawn", path: "Plugins/ClaudeBackend/CTiedSpawn"),
        .systemLibrary(name: "CSQLite", path: "Plugins/SQLiteStore/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "OrchHost",
                "OrchTesting",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TransportTests"
        ),
    ] + plugins.map(\.1)
)
