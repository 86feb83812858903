import Foundation
import Testing

/// The README's minimal configuration, run the way a newcomer runs it: an ordinary user in a terminal,
/// no `[spool]`, no `[cups]`, no /run/spoolbridge, the emulator started by that user too.
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                             "needs root to become an ordinary user (setpriv)"))
struct NewcomerTests {
    @Test func theMinimalConfigurationRunsAsAnOrdinaryUserAndDelivers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let home = try directory.subdirectory("home")
        let hot = try directory.subdirectory("print/finance")
        try "newcomer-key-123456\n".write(toFile: directory.path + "/api-key", atomically: true, encoding: .utf8)
        chmod(directory.path + "/api-key", 0o600)
        for path in [directory.path, home, hot, directory.path + "/print", directory.path + "/api-key"] {
            chown(path, 65534, 65534)
        }
        let user = OrdinaryUser(home: home)
        let emulator = try user.start(Executables.path("spoolbridge-emulator"),
                                      ["--port", "0", "--api-key-file", directory.path + "/api-key"],
                                      output: directory.path + "/emulator.out")
        defer { emulator.terminate(); emulator.waitUntilExit() }
        var url = ""
        try await waitUntil("the emulator listens") {
            url = ((try? String(contentsOfFile: directory.path + "/emulator.out", encoding: .utf8)) ?? "")
                .split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst(13)) } ?? ""
            return !url.isEmpty
        }
        let config = directory.path + "/spoolbridge.toml"
        try """
            [cloud]
            url = "\(url)"
            api_key_file = "\(directory.path)/api-key"

            [[hotfolder]]
            path = "\(hot)"
            port = "Finance"
            user = "alice"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        chown(config, 65534, 65534)

        let check = try await user.run(Executables.path("spoolbridge"), ["check-config", "--config", config])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains(home + "/.local/state/spoolbridge"), "\(check.output)")
        #expect(check.output.contains("answers"), "the emulator must serve an ordinary user: \(check.output)")

        let daemon = try user.start(Executables.path("spoolbridge"), ["run", "--config", config],
                                    output: directory.path + "/daemon.log")
        defer { daemon.terminate(); daemon.waitUntilExit() }
        try await waitUntil("the daemon runs") {
            guard daemon.isRunning else { throw HarnessError("the daemon exited: \(readLog(directory))") }
            return readLog(directory).contains("spoolbridge is running")
        }
        try drop(randomBytes(30_000), named: "report.pdf", into: hot)
        try await waitUntil("delivered") { readLog(directory).contains("delivered") }
        #expect(contents(of: hot).isEmpty)
    }

    private func readLog(_ directory: TemporaryDirectory) -> String {
        (try? String(contentsOfFile: directory.path + "/daemon.log", encoding: .utf8)) ?? ""
    }
}

/// Runs programs as `nobody` with a home of its own (setpriv, from util-linux).
struct OrdinaryUser {
    let home: String

    private func process(_ executable: String, _ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "STATE_DIRECTORY", "XDG_STATE_HOME"] {
            environment.removeValue(forKey: name)
        }
        environment["HOME"] = home
        process.environment = environment
        return process
    }

    func start(_ executable: String, _ arguments: [String], output: String) throws -> Process {
        let process = process(executable, arguments)
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = process(executable, arguments)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do {
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
