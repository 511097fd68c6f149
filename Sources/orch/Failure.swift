import ArgumentParser
import Foundation

/// Prints an error the way operators read them ("orch: <what> <what to do>") and exits non-zero.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("orch: \(message)\n".utf8))
    return ExitCode(code)
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
