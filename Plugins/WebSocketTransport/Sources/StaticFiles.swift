import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOPosix

/// The built frontend. Only files found by walking `static_dir` (and resolving inside
/// it) are ever served, so no request path, however encoded, can reach outside it.
/// Paths without an extension fall back to `index.html` for the single-page app's
/// own routes. Hashed build assets are cached for a year, everything else revalidates.
final class StaticFiles: Sendable {
    struct File: Sendable {
        let path: String
        let size: Int
        let etag: String
        let contentType: String
        let immutable: Bool
    }

    let root: String
    private let index: NIOLockedValueBox<(files: [String: File], scannedAt: ContinuousClock.Instant)>

    /// Walks the directory; called from `create`, where blocking briefly is allowed.
    init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        index = NIOLockedValueBox((Self.scan(self.root), .now))
    }

    var isEmpty: Bool { index.withLockedValue { $0.files.isEmpty } }

    enum Lookup {
        case file(File)
        case notFound
    }

    /// Finds the file for a URL path (already split from its query).
    func lookup(_ urlPath: String) async throws(APIError) -> Lookup {
        guard let decoded = urlPath.removingPercentEncoding else {
            throw .badRequest("invalid_path", "the path has invalid percent-encoding")
        }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0 == ".." || $0 == "." }), !decoded.contains("\\"), !decoded.contains("\0") else {
            throw .badRequest("invalid_path", "the path may not contain \"..\", \".\", backslashes or NUL bytes")
        }
        let key = "/" + segments.joined(separator: "/")
        if let file = await find(key) { return .file(file) }
        let isRoute = !(segments.last?.contains(".") ?? false)
        if isRoute, let index = await find("/index.html") { return .file(index) }
        return .notFound
    }

    /// The file's bytes as they are now, read off the event loop. The index was built
    /// at the last scan: a file replaced by a symlink since then is not followed.
    func contents(of file: File) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { try NoFollowRead.contents(of: file.path) }
    }

    /// A rebuilt frontend has new hashed names: rescan (off the event loops, at most
    /// once a second) before calling a path missing.
    private func find(_ key: String) async -> File? {
        let (file, stale) = index.withLockedValue { ($0.files[key], ContinuousClock.now - $0.scannedAt > .seconds(1)) }
        if let file { return file }
        guard stale else { return nil }
        let root = self.root
        guard let files = try? await NIOThreadPool.singleton.runIfActive({ Self.scan(root) }) else { return nil }
        index.withLockedValue { $0 = (files, .now) }
        return files[key]
    }

    private static func scan(_ root: String) -> [String: File] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [:] }
        var files: [String: File] = [:]
        while let relative = walker.nextObject() as? String {
            let full = root + "/" + relative
            let real = URL(fileURLWithPath: full).resolvingSymlinksInPath().path
            // A symlink pointing outside the directory is not part of the build.
            guard real.hasPrefix(root + "/"),
                  let attributes = try? FileManager.default.attributesOfItem(atPath: real),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let name = (relative as NSString).lastPathComponent
            files["/" + relative] = File(
                path: real, size: size, etag: "\"\(String(size, radix: 16))-\(String(Int(modified * 1000), radix: 16))\"",
                contentType: contentType(name), immutable: isHashed(name))
        }
        return files
    }

    private static func contentType(_ name: String) -> String {
        let ext = (name as NSString).pathExtension.lowercased()
        let type = MediaType.getMediaType(forExtension: ext)?.description ?? "application/octet-stream"
        let isText = type.hasPrefix("text/") || ["js", "mjs", "json", "svg", "map"].contains(ext)
        return isText && !type.contains("charset") ? type + "; charset=utf-8" : type
    }

    /// Bundlers name build output `name-<hash>.ext` or `name.<hash>.ext`; the hash has
    /// at least 8 characters mixing digits or cases, so `index.html` or `favicon.ico` never match.
    static func isHashed(_ name: String) -> Bool {
        let stem = (name as NSString).deletingPathExtension
        let parts = stem.split(whereSeparator: { $0 == "-" || $0 == "." })
        guard parts.count >= 2, let hash = parts.last else { return false }
        let mixed = hash.contains(where: \.isNumber) || (hash.contains(where: \.isUppercase) && hash.contains(where: \.isLowercase))
        return hash.count >= 8 && mixed
            && hash.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
