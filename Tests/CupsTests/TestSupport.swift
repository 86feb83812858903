import Foundation
import Testing

/// Where the repository, the built executables and the CUPS scripts are.
enum TestPaths {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The directory with `spoolbridge-backend` & co: `SPOOLBRIDGE_BIN_DIR`, else next to the
    /// test bundle (`swift build --show-bin-path`), else `.build/debug`.
    static let binDirectory: String = {
        var candidates: [String] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment["SPOOLBRIDGE_BIN_DIR"] { candidates.append(fromEnvironment) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        candidates.append(repositoryRoot + "/.build/debug")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/spoolbridge-backend") } ?? candidates[0]
    }()

    static var backend: String { binDirectory + "/spoolbridge-backend" }
    static var cupsScripts: String { repositoryRoot + "/scripts/cups" }

    static func executable(_ name: String) -> String? {
        let path = binDirectory + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}

/// A temporary directory that lp can traverse (0755), removed at the end of the test.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(_ prefix: String = "sbcups") throws {
        // Short paths: a Unix socket path must stay under 108 bytes.
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: created)
        chmod(path, 0o755)
    }

    deinit {
        // A daemon thread or SQLite may still be closing files in it: try again briefly.
        for _ in 0..<5 {
            guard (try? FileManager.default.removeItem(atPath: path)) == nil, FileManager.default.fileExists(atPath: path) else { return }
            usleep(50_000)
        }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        chmod(target, mode)
        return target
    }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes.
func eventually(
    timeout: Duration = .seconds(20), _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    if try condition() { return }
    Issue.record("timed out after \(timeout) waiting for: \(what)", sourceLocation: sourceLocation)
    throw TimedOut(what: what)
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Deterministic document bytes of a given size.
func documentBytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    var state = UInt32(seed) &* 2_654_435_761
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}

/// A minimal PDF (the emulator and the MIME typer recognise it by its magic).
func pdfBytes(padding: Int = 2000) -> [UInt8] {
    Array("%PDF-1.4\n1 0 obj<<>>endobj\n% ".utf8) + Array(repeating: UInt8(ascii: "x"), count: padding)
        + Array("\ntrailer<<>>\n%%EOF\n".utf8)
}

var isRoot: Bool { geteuid() == 0 }
