import EmulatorKit
import Foundation
import Testing

/// The built executables sit next to the test bundle (`.build/<config>/`).
enum Executables {
    static var directory: String {
        if let override = ProcessInfo.processInfo.environment["SPOOLBRIDGE_BIN_DIR"] { return override }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().path
    }

    static func path(_ name: String) -> String { directory + "/" + name }
}

/// A private temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/spoolbridge-it-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("mkdtemp failed")
        }
        path = String(cString: made)
    }

    func subdirectory(_ name: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits for `condition`, checking every 20 ms, up to `timeout`. Never a fixed sleep.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(20), _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    if try condition() { return }
    throw HarnessError("timed out after \(timeout) waiting for: \(what)")
}

/// Writes `bytes` into `directory/name` through a temp name and rename, the way a careful writer drops a file.
@discardableResult
func drop(_ bytes: [UInt8], named name: String, into directory: String) throws -> String {
    let staging = directory + "/.staging-" + UUID().uuidString
    try Data(bytes).write(to: URL(fileURLWithPath: staging))
    let final = directory + "/" + name
    guard rename(staging, final) == 0 else { throw HarnessError("rename to \(final) failed: errno \(errno)") }
    return final
}

func randomBytes(_ count: Int) -> [UInt8] {
    // Eight bytes per call: a byte at a time takes seconds per megabyte in a debug build.
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < raw.count {
            let word = generator.next()
            for shift in 0..<min(8, raw.count - offset) {
                raw[offset + shift] = UInt8(truncatingIfNeeded: word >> (UInt64(shift) * 8))
            }
            offset += 8
        }
    }
    return bytes
}

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

func contents(of directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}
