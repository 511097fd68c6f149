import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The token every request needs by default, even on loopback: generated into a private
/// file at first start and reused, refused when others could read it, turned off only
/// explicitly and only on loopback, and guarded against guessing per client address.
@Suite(.serialized) struct AuthTokenTests {
    /// A fresh directory for the token file (not created: the transport creates it).
    func tokenPath() throws -> (directory: URL, file: String) {
        let directory = try Paths.temporaryDirectory().appendingPathComponent("data")
        return (directory, directory.appendingPathComponent("auth-token").path)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Creating the transport with these options fails; returns the error's text.
    func refusal(_ options: [String: JSONValue]) throws -> String {
        let loader = TestHost.loader()
        let library = try loader.library(Paths.plugin("WebSocketTransport"), relativeTo: "/")
        var config: [String: JSONValue] = ["listen": .string("127.0.0.1:0"), "static_dir": .string("/nonexistent")]
        config.merge(options) { $1 }
        do {
            _ = try loader.makeTransport(library, .init(label: "t", config: try JSON.encode(config), requests: testRequests(), events: Recorder()))
        } catch {
            return "\(error)"
        }
        Issue.record("\(options) was accepted")
        return ""
    }

    @Test func theTokenFileIsGeneratedPrivateAndReusedOnRestart() async throws {
        let (directory, file) = try tokenPath()
        var token = ""
        try await TestHost.with(["token_file": .string(file)]) { host in
            #expect(try mode(file) == 0o600)
            #expect(try mode(directory.path) == 0o700)
            token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            // 32 random bytes, base64url without padding.
            #expect(token.count == 43)
            let standard = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
            #expect(Data(base64Encoded: standard)?.count == 32)

            let missing = try await RawHTTP.get(port: host.port, "/get_orchestrator")
            #expect(missing.status == 401)
            #expect(missing.errorCode == "missing_token")
            #expect(try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Authorization": "Bearer \(token)"]).status == 200)
            // The login page and its script are open: they are how a browser gets the cookie.
            #expect(try await RawHTTP.get(port: host.port, "/login").status == 200)
            let script = try await RawHTTP.get(port: host.port, "/login.js")
            #expect(script.status == 200)
            #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        }
        try await TestHost.with(["token_file": .string(file)]) { host in
            let stored = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(stored == token)
            let reply = try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Authorization": "Bearer \(token)"])
            #expect(reply.status == 200)
        }
    }

    @Test func aTokenFileOthersCouldReadIsRefusedWithTheFix() throws {
        let (directory, file) = try tokenPath()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "0123456789abcdef0123456789abcdef\n".write(toFile: file, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect(try refusal(["token_file": .string(file)]).hasSuffix(
            "token_file \(file) has mode 644: other accounts may read the token; run `chmod 600 \(file)` (and replace the token if they may have read it), or remove the file and orch creates a new one"))

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        try "short\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(try refusal(["token_file": .string(file)]).hasSuffix(
            "token_file \(file) holds a token of 5 bytes; a token must be at least 16 bytes: remove the file and orch creates a new one"))

        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "/etc/hostname")
        #expect(try refusal(["token_file": .string(file)]).hasSuffix(
            "token_file \(file) is a symbolic link; it must be a regular file (remove it and orch creates a new one)"))
    }

    @Test func authNoneServesLoopbackWithoutAToken() async throws {
        try await TestHost.with(["auth": .string("none")]) { host in
            #expect(try await RawHTTP.get(port: host.port, "/get_orchestrator").status == 200)
            let login = try await RawHTTP.get(port: host.port, "/login")
            #expect(login.status == 404)
            #expect(login.errorMessage == #"this server has no token (auth = "none"); there is nothing to log in to"#)
        }
        #expect(try refusal(["listen": .string("0.0.0.0:0"), "auth": .string("none")]).hasSuffix(
            #"refusing auth = "none" on 0.0.0.0:0: only a loopback listen address may turn the token off, since anyone who can reach it could drive an agent with shell access; remove auth = "none" (the token in token_file is then required), or listen on 127.0.0.1"#))
    }

    @Test func wrongTokensAreRateLimitedPerAddress() async throws {
        let token = "a-token-of-enough-length-0123456789"
        try await TestHost.with(["auth_token": .string(token), "auth_attempts": .int(3), "auth_window_s": .double(2)]) { host in
            let good = ["Authorization": "Bearer \(token)"], bad = ["Authorization": "Bearer wrong-guess"]
            for _ in 0..<3 {
                let wrong = try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: bad)
                #expect(wrong.status == 401)
                #expect(wrong.errorCode == "invalid_token")
            }
            // The address has used its attempts: even the right token is answered 429 until the window ends.
            let limited = try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: good)
            #expect(limited.status == 429)
            #expect(limited.errorCode == "too_many_attempts")
            let seconds = try #require(limited.headers["retry-after"].flatMap { Int($0) })
            #expect((1...2).contains(seconds))
            #expect(limited.errorMessage == "too many wrong tokens from 127.0.0.1: 3 within 2 s (auth_attempts, auth_window_s); retry in \(seconds) s")
            let login = try await RawHTTP.request(port: host.port, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                  body: Array("token=\(token)".utf8))
            #expect(login.status == 429)
            #expect(login.headers["retry-after"] != nil)
            #expect(login.headers["set-cookie"] == nil)
            let upgrade = try await RawHTTP.request(port: host.port, "GET", "/ws", headers: good.merging([
                "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
            ]) { $1 })
            #expect(upgrade.status == 429)
            #expect(upgrade.errorCode == "too_many_attempts")
            #expect(upgrade.headers["retry-after"] != nil)
            // A request without a token guesses nothing: it is told what is missing.
            #expect(try await RawHTTP.get(port: host.port, "/get_orchestrator").errorCode == "missing_token")

            // Another address is not affected.
            #expect(try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: good, from: "127.0.0.2").status == 200)
            // After the window the right token works again from the first address.
            #expect(await eventually(timeout: .seconds(5)) {
                (try? await RawHTTP.get(port: host.port, "/get_orchestrator", headers: good))?.status == 200
            })
        }
    }

    @Test func aWrongLoginIsCountedToo() async throws {
        let token = "a-token-of-enough-length-0123456789"
        try await TestHost.with(["auth_token": .string(token), "auth_attempts": .int(2), "auth_window_s": .int(60)]) { host in
            for _ in 0..<2 {
                let wrong = try await RawHTTP.request(port: host.port, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                      body: Array("token=guess".utf8))
                #expect(wrong.status == 401)
            }
            let limited = try await RawHTTP.get(port: host.port, "/get_orchestrator", headers: ["Authorization": "Bearer \(token)"])
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"].flatMap { Int($0) }.map { (59...60).contains($0) } == true)
        }
    }
}
