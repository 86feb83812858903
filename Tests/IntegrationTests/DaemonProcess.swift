import Foundation
import Testing

/// A `spoolbridge` daemon started as a real process with its own config, spool and log file.
///
/// It knows the secrets of its setup (the API key, the emulator's token prefixes, and whatever a test
/// adds to `secrets`) and, at `stop()`, records an issue for each one found in the daemon's log, the
/// output of a CLI command run through `cli`, or an `.error.txt` note (see `SecretScan`).
final class DaemonProcess {
    let configPath: String
    let logPath: String
    /// The test's temporary directory: config, spool, log, hot and failed folders.
    let directoryPath: String
    private(set) var process: Process?
    /// Values that must never appear in a log line, CLI output or error note.
    var secrets: [String]
    /// Every CLI command run through `cli`/`cliOffPool`, with its output, in order.
    private(set) var transcript: [(arguments: [String], output: String)] = []
    /// How often `start` ran: the log is appended to, so the n-th start is running once the log
    /// says so n times.
    private var starts = 0

    /// `extraConfig` is appended to a config with `[cloud]`, `[spool]` and a fast retry policy, and
    /// `cupsSection` (nil: no `[cups]` section at all, as in the README's minimal configuration).
    init(in directory: TemporaryDirectory, cloudURL: String, apiKey: String = "test-api-key",
         concurrency: Int = 4, cupsSection: String? = "[cups]\nenabled = false", extraConfig: String) throws {
        directoryPath = directory.path
        secrets = [apiKey] + SecretScan.emulatorTokenPrefixes
        let keyPath = directory.path + "/api-key"
        try apiKey.write(toFile: keyPath, atomically: true, encoding: .utf8)
        chmod(keyPath, 0o600)
        configPath = directory.path + "/spoolbridge.toml"
        logPath = directory.path + "/daemon.log"
        let config = """
            [cloud]
            url = "\(cloudURL)"
            api_key_file = "\(keyPath)"

            [spool]
            directory = "\(directory.path)/spool"
            min_free_mb = 0

            [delivery]
            concurrency = \(concurrency)
            retry_base_seconds = 0.05
            retry_max_seconds = 0.5

            \(cupsSection ?? "")

            \(extraConfig)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Replaces the harness's `min_free_mb = 0`.
    func setSpool(minFreeMB: Int) throws {
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
            .replacingOccurrences(of: "min_free_mb = 0", with: "min_free_mb = \(minFreeMB)")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// `environment` is added to the test's own (e.g. a NOTIFY_SOCKET to hear READY=1).
    func start(environment extra: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.path("spoolbridge"))
        process.arguments = ["run", "--config", configPath, "--log-level", "debug"]
        if !FileManager.default.fileExists(atPath: logPath) {
            FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        environment.merge(extra) { _, new in new }
        process.environment = environment
        try process.run()
        self.process = process
        starts += 1
    }

    /// Waits until the daemon started last logged that it runs.
    func waitUntilRunning() async throws {
        try await waitUntil("daemon start (log: \(logPath))") {
            guard let process, process.isRunning else {
                throw HarnessError("daemon exited early: \(log)")
            }
            return log.components(separatedBy: "spoolbridge is running").count - 1 >= starts
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// `kill -9`: no chance to clean up, as in a crash or power cut.
    func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM and wait; then fails the test for every known secret found in what the daemon and
    /// the CLI wrote (`checkSecrets: false` for a test that plants one on purpose).
    func stop(checkSecrets: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        if let process {
            process.terminate()
            process.waitUntilExit()
            self.process = nil
        }
        guard checkSecrets else { return }
        for leak in SecretScan.leaks(of: secrets, in: writtenTexts()) {
            Issue.record("secret leaked: \(leak)", sourceLocation: sourceLocation)
        }
    }

    /// What the daemon and the CLI wrote: the log, each CLI output, each `.error.txt` note below the
    /// test's directory. Named for a failure message.
    func writtenTexts() -> [(name: String, text: String)] {
        [("daemon log", log)]
            + transcript.map { ("output of `spoolbridge \($0.arguments.joined(separator: " "))`", $0.output) }
            + SecretScan.errorNotes(below: directoryPath)
    }

    deinit { kill9() }

    /// Runs a CLI subcommand against this daemon's config; returns (status, stdout+stderr).
    func cli(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try runCommand(Executables.path("spoolbridge"), arguments + ["--config", configPath])
        transcript.append((arguments, result.output))
        return result
    }

    /// `cli` on a Dispatch thread, for a command that waits (e.g. `device register` polling).
    func cliOffPool(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await runCommandOffPool(Executables.path("spoolbridge"), arguments + ["--config", configPath])
        transcript.append((arguments, result.output))
        return result
    }
}

func runCommand(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `runCommand` on a Dispatch thread: a test that waits on a child process must not hold one of the
/// cooperative pool's few threads (2 on CI), which the other tests running in parallel need.
func runCommandOffPool(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runCommand(executable, arguments) })
        }
    }
}
