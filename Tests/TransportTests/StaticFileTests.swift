import Foundation
import OrchTesting
import PluginAPI
import Testing

/// The built frontend: content types, caching, SPA fallback, and no way out of static_dir.
@Suite(.serialized) struct StaticFileTests {
    @Test func servesFilesWithTypesAndCaching() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        let index = try await RawHTTP.get(port: host.port, "/")
        #expect(index.status == 200)
        #expect(index.headers["content-type"] == "text/html; charset=utf-8")
        #expect(index.headers["cache-control"] == "no-cache")
        #expect(index.text.contains("<title>Orch</title>"))
        let asset = try await RawHTTP.get(port: host.port, "/assets/index-Bk3a9xQz.js")
        #expect(asset.status == 200)
        #expect(asset.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(asset.headers["cache-control"] == "public, max-age=31536000, immutable")
        #expect(asset.text == "console.log('orch')")
        let css = try await RawHTTP.get(port: host.port, "/assets/style.css")
        #expect(css.headers["content-type"] == "text/css; charset=utf-8")
        #expect(css.headers["cache-control"] == "no-cache")
        let etag = css.headers["etag"] ?? ""
        #expect(try await RawHTTP.get(port: host.port, "/assets/style.css", headers: ["If-None-Match": etag]).status == 304)
        let head = try await RawHTTP.request(port: host.port, "HEAD", "/assets/style.css")
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "14")
    }

    @Test func appRoutesFallBackToIndexButMissingFilesAre404() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        // A browser opening an app address asks for HTML; /agents/{id} fetched by a script is the agent API.
        let route = try await RawHTTP.get(port: host.port, "/agents/42?tab=logs", headers: ["Accept": "text/html,application/xhtml+xml,*/*;q=0.8"])
        #expect(route.status == 200)
        #expect(route.text.contains("<div id=app>"))
        let api = try await RawHTTP.get(port: host.port, "/agents/42")
        #expect(api.status == 400 && api.errorCode == "invalid_uuid")
        let missing = try await RawHTTP.get(port: host.port, "/assets/gone-12345678.js")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        #expect(missing.errorMessage == "nothing at /assets/gone-12345678.js")
        let post = try await RawHTTP.postJSON(port: host.port, "/", "{}")
        #expect(post.status == 405)
        #expect(post.errorCode == "method_not_allowed")
        #expect(post.headers["allow"] == "GET, HEAD")
    }

    @Test func traversalAttemptsNeverLeaveStaticDir() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        // A secret beside static_dir, and a symlink inside it pointing out.
        let secret = host.staticDir.deletingLastPathComponent().appendingPathComponent("secret-\(UUID().uuidString).txt")
        try "top secret".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        try FileManager.default.createSymbolicLink(atPath: host.staticDir.appendingPathComponent("escape.txt").path, withDestinationPath: secret.path)
        let name = secret.lastPathComponent
        for target in ["/../\(name)", "/assets/../../\(name)", "/%2e%2e/\(name)", "/%2E%2E%2F\(name)", "/..%2f\(name)", "/assets/..%5c..%5c\(name)",
                       "/./index.html", "/%00index.html", "/....//\(name)"] {
            let response = try await RawHTTP.get(port: host.port, target)
            #expect(!response.text.contains("top secret"), "\(target) leaked the file")
            #expect([400, 404].contains(response.status) || (response.status == 200 && response.text.contains("<div id=app>")), "\(target): \(response.status)")
            if response.status == 400 {
                #expect(response.errorCode == "invalid_path")
                #expect(response.errorMessage == #"the path may not contain "..", ".", backslashes or NUL bytes"#)
            }
        }
        let dotdot = try await RawHTTP.get(port: host.port, "/%2e%2e/\(name)")
        #expect(dotdot.status == 400)
        let link = try await RawHTTP.get(port: host.port, "/escape.txt")
        #expect(link.status == 404, "a symlink out of static_dir is not served")
        #expect(!link.text.contains("top secret"))
    }

    /// The index is built by a scan; a file or directory replaced by a symlink after it is
    /// refused at open time rather than served from wherever the link points.
    @Test func aFileOrDirectoryReplacedByASymlinkAfterTheScanIsNotFollowed() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        let outside = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let secret = "top secret, outside static_dir"
        try secret.write(to: outside.appendingPathComponent("style.css"), atomically: true, encoding: .utf8)
        try secret.write(to: outside.appendingPathComponent("index-Bk3a9xQz.js"), atomically: true, encoding: .utf8)
        #expect(try await RawHTTP.get(port: host.port, "/assets/style.css").status == 200)
        #expect(try await RawHTTP.get(port: host.port, "/assets/index-Bk3a9xQz.js").status == 200)

        let files = FileManager.default, assets = host.staticDir.appendingPathComponent("assets")
        try files.removeItem(at: assets.appendingPathComponent("style.css"))
        try files.createSymbolicLink(at: assets.appendingPathComponent("style.css"), withDestinationURL: outside.appendingPathComponent("style.css"))
        let file = try await RawHTTP.get(port: host.port, "/assets/style.css")
        #expect(file.status == 404)
        #expect(file.errorCode == "not_found")
        #expect(file.errorMessage == "/assets/style.css is no longer a file in static_dir")
        #expect(!file.text.contains(secret))

        try files.moveItem(at: assets, to: host.staticDir.appendingPathComponent("assets-old"))
        try files.createSymbolicLink(at: assets, withDestinationURL: outside)
        let directory = try await RawHTTP.get(port: host.port, "/assets/index-Bk3a9xQz.js")
        #expect(directory.status == 404)
        #expect(directory.errorCode == "not_found")
        #expect(!directory.text.contains(secret))
        #expect(try await RawHTTP.get(port: host.port, "/").status == 200, "the rest is still served")
    }
}
