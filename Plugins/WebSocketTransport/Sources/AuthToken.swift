import Foundation
import PluginAPI

#if canImport(Glibc)
import Glibc
#endif

/// Who must prove themselves: on every address the transport requires a token unless the
/// operator turned it off (`auth = "none"`), which only a loopback `listen` may do. The
/// token is `auth_token` (or `$ORCH_AUTH_TOKEN`) when set, otherwise the one in
/// `token_file`, generated at first start (docs/websocket-transport.md, "Access token").
enum AuthSetting: Sendable, Equatable {
    case none
    case token(String, source: Source)

    enum Source: Sendable, Equatable {
        /// `auth_token` or `$ORCH_AUTH_TOKEN`.
        case configured
        /// Read from `token_file`, or written there now (`created`).
        case file(path: String, created: Bool)
    }

    /// Shorter tokens are refused: 16 bytes is the floor a guess-per-request attacker meets.
    static let minimumTokenBytes = 16
    /// A generated token: this many random bytes, base64url without padding (43 characters).
    static let generatedTokenBytes = 32

    var token: String? {
        if case .token(let token, _) = self { token } else { nil }
    }

    /// Checks a configured token's length, naming where it came from and the minimum.
    static func checkLength(_ token: String, from origin: String) throws(PluginError) {
        guard token.utf8.count >= minimumTokenBytes else {
            throw PluginError.invalid(
                "invalid_options",
                "\(origin) is \(token.utf8.count) bytes; a token must be at least \(minimumTokenBytes) bytes (e.g. `openssl rand -base64 32`), or leave it unset to use the generated token_file")
        }
    }
}

/// The token file: read when it exists (it must be a regular file of this account with mode
/// 0600 and hold a long enough token), otherwise created with `O_EXCL` and mode 0600 holding
/// 32 random bytes, base64url. Creation writes a private temporary file and `link`s it into
/// place, so a concurrent start never reads a half-written token: one of two racing starts
/// creates it, the other reads it.
enum TokenFile {
    static func loadOrCreate(_ path: String) throws(PluginError) -> AuthSetting {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if let token = try read(absolute) { return .token(token, source: .file(path: absolute, created: false)) }
        let token = generate()
        let directory = (absolute as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw failure("cannot create the directory of token_file \(absolute): \(error.localizedDescription)")
        }
        let temporary = "\(absolute).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("cannot create token_file \(absolute): \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let bytes = Array("\(token)\n".utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw failure("cannot write token_file \(absolute): \(String(cString: strerror(errno)))") }
        if link(temporary, absolute) == 0 { return .token(token, source: .file(path: absolute, created: true)) }
        guard errno == EEXIST, let existing = try read(absolute) else {
            throw failure("cannot create token_file \(absolute): \(String(cString: strerror(errno)))")
        }
        return .token(existing, source: .file(path: absolute, created: false))
    }

    /// The token in an existing file, or nil when there is none. A file others may read, or
    /// another account's, is refused with the command that fixes it.
    private static func read(_ path: String) throws(PluginError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw failure("token_file \(path) is a symbolic link; it must be a regular file (remove it and orch creates a new one)") }
            throw failure("cannot read token_file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw failure("token_file \(path) is not a regular file; remove it and orch creates a new one")
        }
        guard info.st_uid == geteuid() else {
            throw failure("token_file \(path) belongs to uid \(info.st_uid), not to this account (uid \(geteuid())); remove it and orch creates a new one")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw failure("token_file \(path) has mode \(String(mode, radix: 8)): other accounts may read the token; run `chmod 600 \(path)` (and replace the token if they may have read it), or remove the file and orch creates a new one")
        }
        var data = [UInt8](repeating: 0, count: 4096)
        let count = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw failure("cannot read token_file \(path): \(String(cString: strerror(errno)))") }
        let token = String(decoding: data.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count >= AuthSetting.minimumTokenBytes else {
            throw failure("token_file \(path) holds a token of \(token.utf8.count) bytes; a token must be at least \(AuthSetting.minimumTokenBytes) bytes: remove the file and orch creates a new one")
        }
        return token
    }

    /// 32 bytes from the kernel's random source (`SystemRandomNumberGenerator` is `getrandom`
    /// on Linux, cryptographically secure), base64url without padding.
    static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<AuthSetting.generatedTokenBytes).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func failure(_ message: String) -> PluginError { .invalid("token_file_unusable", message) }
}
