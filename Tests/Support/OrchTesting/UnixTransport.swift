import Foundation

/// The C transport as an operator builds it: `make c-plugins` (the Makefile's
/// own rule and flags), run once per test process.
public enum UnixTransport {
    public static let sources = "\(Paths.repository)/Plugins/UnixSocketTransport/Sources"
    private static let built: Result<String, BuildFailure> = {
        let result: (status: Int32, output: String) = (try? run("/usr/bin/env", ["make", "-s", "-C", Paths.repository, "c-plugins"])) ?? (1, "make could not be run")
        guard result.status == 0 else { return .failure(BuildFailure(output: result.output)) }
        return .success("\(Paths.repository)/.build/c-plugins/libUnixSocketTransport.so")
    }()

    /// The path of the built `libUnixSocketTransport.so`.
    public static func library() throws -> String { try built.get() }

    /// A fresh socket path short enough for `sun_path` (107 bytes).
    public static func socketPath(in directory: URL? = nil) throws -> String {
        try (directory ?? Paths.temporaryDirectory()).appendingPathComponent("orch.sock").path
    }

    public struct BuildFailure: Error, CustomStringConvertible {
        let output: String
        public var description: String { "make c-plugins failed:\n\(output)" }
    }
}
