import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The `orch` executable, run as an operator would run it.
@Suite(.serialized) struct CLITests {
    func writeConfig(_ text: String) throws -> String {
        let path = try Paths.temporaryDirectory().appendingPathComponent("orch.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func config(transport: String, options: String = "", database: String? = nil) throws -> String {
        let path = try database ?? Paths.temporaryDirectory().appendingPathComponent("orch.sqlite").path
        return """
        [host]
        plugin_dirs = ["\(Paths.buildDirectory)"]
        [store]
        plugin = "SQLiteStore"
        options = { path = "\(path)" }
        [backend]
        plugin = "SwiftEchoPlugin"
        [[transports]]
        plugin = "\(transport)"
        \(options)
        """
    }

    func sha256(_ path: String) throws -> String {
        try run("/usr/bin/env", ["sha256sum", path]).output.split(separator: " ").first.map(String.init) ?? ""
    }

    /// The same binary, untouched, runs with two different transports chosen only by config.
    @Test func swappingAPluginIsAConfigChange() async throws {
        let before = try sha256(Paths.orch)
        let mtime = try FileManager.default.attributesOfItem(atPath: Paths.orch)[.modificationDate] as? Date
        let cPlugin = try CPlugin.build()
        for (transport, options, expected) in [
            (cPlugin, "", "loaded transport CTestPlugin 1.0.0 (ABI 1.\(ABI.minor))"),
            ("NIOLineTransport", "[transports.options]\nlisten = \"127.0.0.1:0\"", "loaded transport NIOLineTransport 1.0.0 (ABI 1.\(ABI.minor))"),
        ] {
            let orch = try OrchProcess(["serve", "--config", try writeConfig(try config(transport: transport, options: options))])
            #expect(await orch.waitForOutput("orch ready"), "stdout: \(orch.stdout) stderr: \(orch.stderr)")
            #expect(orch.stdout.contains(expected))
            orch.terminate()
            #expect(await orch.exitStatus() == 0)
            #expect(orch.stdout.contains("orch received SIGTERM, shutting down"))
            #expect(orch.stdout.contains("orch stopped"))
        }
        #expect(try sha256(Paths.orch) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: Paths.orch)[.modificationDate] as? Date == mtime)
    }

    @Test func anUnknownPluginStopsStartupBeforeAnythingLoads() async throws {
        let result = try await OrchProcess.run(["serve", "--config", try writeConfig(try config(transport: "NoSuchTransport"))])
        #expect(result.status == 3)
        #expect(result.stderr.contains("orch: plugin \"NoSuchTransport\" not found: looked for libNoSuchTransport.so in \(Paths.buildDirectory)"))
        #expect(!result.stdout.contains("loaded"))
    }

    @Test func malformedTOMLStopsStartupWithFileAndLine() async throws {
        let path = try writeConfig("[store]\nplugin = \"SwiftEchoPlugin\"\n[backend\n")
        let result = try await OrchProcess.run(["serve", "--config", path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("orch: \(path):3: malformed TOML"), "\(result.stderr)")
    }

    @Test func checkConfigOpensEveryPluginWithoutStartingIt() async throws {
        let good = try await OrchProcess.run(["check-config", "--config", try writeConfig(try config(transport: "NIOLineTransport"))])
        #expect(good.status == 0)
        #expect(good.stdout.contains("transports[0]: NIOLineTransport 1.0.0 (ABI 1.\(ABI.minor))"))
        let wrongKind = try await OrchProcess.run(["check-config", "--config", try writeConfig(try config(transport: "NIOLineProbe"))])
        #expect(wrongKind.status == 3)
        #expect(wrongKind.stderr.contains(":8: transports[0].plugin: \(Paths.plugin("NIOLineProbe")): plugin NIOLineProbe is not a transport plugin (it provides: store)"), "\(wrongKind.stderr)")
    }

    @Test func anUnknownSessionIsRefusedBeforeAnyTransportListens() async throws {
        let result = try await OrchProcess.run(["serve", "--session", "0badc0de-session", "--config",
                                                try writeConfig(try config(transport: "NIOLineTransport", options: "[transports.options]\nlisten = \"127.0.0.1:0\""))])
        #expect(result.status == 4)
        #expect(result.stderr.contains("orch: no orchestrator has session 0badc0de-session; start without --session to create a new one"), "\(result.stderr)")
        #expect(!result.stdout.contains("listening"))
    }

    @Test func aMissingWorkingDirectoryIsAStartupError() async throws {
        let result = try await OrchProcess.run(["serve", "--cwd", "/nonexistent/project", "--config", try writeConfig(try config(transport: "NIOLineTransport"))])
        #expect(result.status == 2)
        #expect(result.stderr.contains("orch: working directory /nonexistent/project (from --cwd) does not exist or is not a directory; create it or choose another with --cwd"))
    }

    @Test func aResumedSessionIsSummarizedWithItsTotals() async throws {
        let database = try Paths.temporaryDirectory().appendingPathComponent("orch.sqlite").path
        let path = try writeConfig(try config(transport: "NIOLineTransport", options: "[transports.options]\nlisten = \"127.0.0.1:0\"", database: database))
        let first = try OrchProcess(["serve", "--config", path])
        #expect(await first.waitForOutput("orch ready"), "\(first.stderr)")
        #expect(first.stdout.contains("session: new"))
        let address = first.stdout.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst("listening on ".count)) } ?? ""
        let orchestrator = first.stdout.split(separator: "\n").first { $0.hasPrefix("orchestrator ") }.map { String($0.dropFirst("orchestrator ".count)) } ?? ""
        // One turn through the TCP transport, as a client would send it.
        let reply = try run("/usr/bin/env", ["python3", "-c", """
            import socket, sys
            host, port = sys.argv[1].rsplit(':', 1)
            s = socket.create_connection((host, int(port)), timeout=10)
            s.sendall(b'{"op":"send_chat","orchestrator_agent_id":"' + sys.argv[2].encode() + b'","message":"hello there","wait":true}\\n')
            data = b''
            while b'"status":"success"' not in data and b'"status":"error"' not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            print(data.decode())
            """, address, orchestrator])
        #expect(reply.output.contains(#""status":"success""#), "\(reply.output)")
        first.terminate()
        #expect(await first.exitStatus() == 0, "\(first.stderr.suffix(3000))")
        let second = try OrchProcess(["serve", "--config", path])
        #expect(await second.waitForOutput("orch ready"), "\(second.stderr)")
        #expect(second.stdout.contains("orchestrator \(orchestrator)"))
        #expect(second.stdout.contains("session swift-session resumed: 0 input + 0 output tokens, $0.000000"), "\(second.stdout)")
        second.terminate()
        #expect(await second.exitStatus() == 0, "\(second.stderr.suffix(3000))")
    }

    @Test func pluginsListsEveryLibraryAndWhyAnyCannotLoad() async throws {
        let broken = try Paths.temporaryDirectory()
        FileManager.default.createFile(atPath: broken.appendingPathComponent("libBroken.so").path, contents: Data("not elf".utf8))
        let path = try writeConfig("[host]\nplugin_dirs = [\"\(broken.path)\"]\n")
        let result = try await OrchProcess.run(["plugins", "--config", path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("(unusable)\t\(broken.path)/libBroken.so\t\(broken.path)/libBroken.so is not a loadable shared library: file too short"), "\(result.stdout)")
        #expect(result.stdout.contains("NIOLineTransport\ttransport\t1.0.0\tABI 1.\(ABI.minor)\tc") == false)
        #expect(result.stdout.contains("SwiftEchoPlugin\tstore,backend,transport\t1.0.0\tABI 1.\(ABI.minor)"))
    }
}
