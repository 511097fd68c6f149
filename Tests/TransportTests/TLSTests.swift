import Foundation
import OrchTesting
import PluginAPI
import Testing

/// `tls_cert`/`tls_key`: HTTPS and WSS with a certificate made for the test, spoken to by
/// a real TLS client (NIOSSL, not verifying the self-signed certificate), and the login
/// cookie marked `Secure` only when it travels over TLS.
@Suite(.serialized) struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 and its key, made with the openssl CLI.
    static func makeCertificate(in directory: URL) throws -> (certificate: String, key: String) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let result = try run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        guard result.status == 0 else { throw RawHTTP.Failure(message: "openssl failed: \(result.output)") }
        return (certificate, key)
    }

    @Test func httpsAndWSSServeWithASecureLoginCookie() async throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try Self.makeCertificate(in: directory)
        try await TestHost.with(["tls_cert": .string(files.certificate), "tls_key": .string(files.key), "auth_token": "s3cret-token-of-tls-tests"]) {
            host in
            #expect(host.logs.messages.contains { $0.hasSuffix("console: https://127.0.0.1:\(host.port)/login#token=s3cret-token-of-tls-tests") },
                    "the console URL it prints says https: \(host.logs.messages)")
            let health = try await RawHTTP.request(port: host.port, "GET", "/health", tls: true)
            #expect(health.status == 200)
            #expect(health.json?["status"] == "healthy")

            let login = try await RawHTTP.request(
                port: host.port, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: Array("token=s3cret-token-of-tls-tests".utf8), tls: true)
            #expect(login.status == 303)
            let cookie = login.headers["set-cookie"] ?? ""
            #expect(cookie.hasSuffix("; Path=/; HttpOnly; SameSite=Strict; Secure"), "\(cookie)")

            let socket = try await RawWebSocket.connect(port: host.port, headers: ["Authorization": "Bearer s3cret-token-of-tls-tests"], tls: true)
            #expect(await socket.next()?.json?["type"] == "connection_established")
            try await socket.sendText(#"{"type":"ping","request_id":"tls"}"#)
            let pong = await socket.next()?.json
            #expect(pong?["type"] == "pong" && pong?["request_id"] == "tls", "\(String(describing: pong))")
            socket.connection.close()

            // Plain HTTP to the TLS port gets no HTTP answer: the handshake fails and the socket closes.
            let plain = try await RawConnection.open(port: host.port)
            try await plain.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1:\(host.port)\r\n\r\n")
            #expect(await plain.waitUntilClosed())
            #expect(plain.responses().isEmpty)
        }
    }

    /// Over plain HTTP the cookie cannot be `Secure`: a browser would not send it back.
    @Test func aPlainHTTPLoginCookieIsNotMarkedSecure() async throws {
        try await TestHost.with(["auth_token": "s3cret-token-of-tls-tests"]) { host in
            let login = try await RawHTTP.request(
                port: host.port, "POST", "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: Array("token=s3cret-token-of-tls-tests".utf8))
            #expect(login.status == 303)
            #expect(
                login.headers["set-cookie"]?.hasSuffix("; Path=/; HttpOnly; SameSite=Strict") == true,
                "\(String(describing: login.headers["set-cookie"]))")
        }
    }

    @Test func aKeyThatIsNotTheCertificatesStopsCreation() async throws {
        let directory = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let one = try Self.makeCertificate(in: directory.appendingPathComponent("one"))
        let other = try Self.makeCertificate(in: directory.appendingPathComponent("other"))
        for (certificate, key, message) in [
            (
                one.certificate, other.key,
                "tls_cert \(one.certificate) and tls_key \(other.key) cannot serve TLS together (is the key the certificate's?)"
            ),
            (one.certificate, one.certificate, "tls_key \(one.certificate) is not a readable PEM private key"),
            (one.key, one.key, "tls_cert \(one.key) is not a readable PEM certificate: "),
        ] {
            let options = try JSON.encode(
                JSONValue.object(["listen": "127.0.0.1:0", "tls_cert": .string(certificate), "tls_key": .string(key)]))
            let loader = TestHost.loader()
            let library = try loader.library(Paths.plugin("WebSocketTransport"), relativeTo: "/")
            do {
                _ = try loader.makeTransport(library, .init(label: "t", config: options, requests: testRequests(), events: Recorder()))
                Issue.record("\(certificate) with \(key) was accepted")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }
}
