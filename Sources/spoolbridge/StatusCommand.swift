import ArgumentParser
import Config
import Daemon
import DeviceAuth
import Foundation
import Observability
import Outbox
import SpoolbridgeCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the outbox: jobs per state, the oldest waiting job, the last error, each hot folder.",
        discussion: """
            --json prints the health document of GET /healthz instead (Docs/operations.md, "Health"), computed from \
            the outbox and, in a token mode, the stored token state: the cloud's state is "unknown" (only the running \
            daemon knows it). Exits 0 when the status \
            is "ok", 1 when it is "unhealthy" (the daemon not running included).
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print the health document as JSON (the same as GET /healthz).")
    var json = false

    func run() throws {
        if json {
            printHealth()
        }
        do {
            let (configuration, outbox) = try options.openOutboxForReading()
            let summary = try outbox.summary()
            let running = DaemonNudge.isRunning(spool: outbox.layout)
            print("daemon: \(running ? "running" : "not running") (spool \(outbox.layout.directory))")
            let states = JobState.allCases.map { "\($0.rawValue) \(summary.counts[$0] ?? 0)" }
            print("jobs: " + states.joined(separator: ", "))
            if let oldest = summary.oldestQueuedSince {
                print("oldest waiting job: \(Formatting.age(since: oldest)) old")
            }
            if let upload = summary.oldestUpload {
                print("oldest upload in flight: job \(upload.id) \"\(upload.request.title)\", started \(Formatting.age(since: upload.updatedAt)) ago"
                      + " (a request with no progress for delivery.stall_seconds is abandoned and retried)")
            }
            if let free = summary.freeBytes {
                let floor = configuration.spool.minFreeBytes
                print("spool free space: \(free >> 20) MB\(free < floor ? " — BELOW spool.min_free_mb (\(floor >> 20) MB): new jobs are held back" : "")")
            }
            if let failure = summary.lastFailure, let error = failure.lastError {
                print("last error: job \(failure.id) \"\(failure.request.title)\" (\(failure.state.rawValue), \(Formatting.age(since: failure.updatedAt)) ago): \(error)")
            }
            let byKind = try outbox.jobCountsByKind()
            if byKind.keys.contains(where: { $0 != .upload }) {
                let kinds = JobKind.allCases.compactMap { kind -> String? in
                    guard let counts = byKind[kind] else { return nil }
                    let waiting = counts.filter { !$0.key.isFinal }.values.reduce(0, +)
                    return "\(kind.rawValue) \(waiting) waiting, \(counts[.delivered] ?? 0) delivered, \(counts[.failed] ?? 0) failed"
                }
                print("by kind: " + kinds.joined(separator: "; "))
            }
            for folder in configuration.hotFolders {
                if folder.intake == .records {
                    print("records folder \(folder.path): refused lines and files go to \(folder.failedDirectory)")
                    continue
                }
                let counts = try outbox.jobCounts(inHotFolder: folder.path)
                let waiting = JobState.allCases.filter { !$0.isFinal }.reduce(0) { $0 + (counts[$1] ?? 0) }
                let delivered = counts[.delivered] ?? 0
                let failed = counts[.failed] ?? 0
                print("hot folder \(folder.path) -> \(folder.port): \(waiting) waiting, \(delivered) delivered, \(failed) failed (failed files in \(folder.failedDirectory))")
                if let problem = Self.folderProblem(folder.path, daemonRunning: running) {
                    print("hot folder \(folder.path): \(problem)")
                }
            }
            for line in Self.authLines(configuration) { print(line) }
            if let days = configuration.spool.keepFinishedDays {
                print("delivered and cancelled jobs are kept for \(days) day\(days == 1 ? "" : "s") (spool.keep_finished_days)")
            }
        } catch {
            Self.fail(error)
        }
    }

    /// `--json`: the outbox's view of health; exits with 0 (ok) or 1 (unhealthy).
    private func printHealth() -> Never {
        let configuration: DaemonConfiguration
        let outbox: Outbox
        do {
            (configuration, outbox) = try options.openOutboxForReading()
        } catch {
            Self.fail(error)
        }
        let summary: Result<OutboxSummary, any Error> = Result { try outbox.summary() }
        var access = HealthInputs.OutboxAccess.ok
        if case .failure(let error) = summary { access = .unreadable(reason: "\(error)") }
        let known = try? summary.get()
        let document = HealthEvaluator.evaluate(HealthInputs(
            now: outbox.now, daemonRunning: DaemonNudge.isRunning(spool: outbox.layout), counts: known?.counts ?? [:],
            oldestWaitingSince: known?.oldestQueuedSince, freeBytes: known?.freeBytes ?? outbox.freeBytes(),
            minFreeBytes: configuration.spool.minFreeBytes, lastDelivery: known?.lastDelivery, outbox: access,
            cloud: .unknown, unhealthyAfterSeconds: configuration.http.unhealthyAfterSeconds,
            auth: StoredAuth.health(configuration).health))
        print(document.json(), terminator: "")
        Foundation.exit(document.status == .ok ? 0 : 1)
    }

    /// `[auth]`: the mode and, for tokens, the stored state (read, never refreshed; never a token).
    static func authLines(_ configuration: DaemonConfiguration) -> [String] {
        let mode = configuration.auth.mode
        guard mode.usesBearerToken else { return ["auth: api-key"] }
        let (_, status, problem) = StoredAuth.health(configuration)
        guard let status else { return ["auth: \(mode): unknown (\(problem ?? "the token state cannot be read"))"] }
        var lines = ["auth: \(mode): \(status.summary)"]
        if let error = status.lastError { lines.append("auth last error: \(error)") }
        if let remedy = status.remedy { lines.append("auth: to fix, \(remedy); jobs stay queued meanwhile") }
        return lines
    }

    /// What to say about a hot folder that is not a directory now, nil when it is. A running daemon looks for a
    /// missing folder every second and resumes by itself; a stopped one refuses to start without it.
    static func folderProblem(_ path: String, daemonRunning: Bool) -> String? {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue { return nil }
        let fix = exists ? "remove it and create a directory there (mkdir -p \(path))" : "recreate it (mkdir -p \(path))"
        let what = exists ? "NOT A DIRECTORY" : "MISSING"
        return daemonRunning
            ? "\(what) — not being watched; \(fix) and spoolbridge resumes by itself"
            : "\(what) — \(fix): spoolbridge does not start without it"
    }
}
