import ArgumentParser
import Daemon
import Foundation
import Outbox
import SpoolbridgeCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the outbox: jobs per state, the oldest waiting job, the last error, each hot folder.")

    @OptionGroup var options: ConfigOption

    func run() throws {
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
            for folder in configuration.hotFolders {
                let counts = try outbox.jobCounts(inHotFolder: folder.path)
                let waiting = JobState.allCases.filter { !$0.isFinal }.reduce(0) { $0 + (counts[$1] ?? 0) }
                let delivered = counts[.delivered] ?? 0
                let failed = counts[.failed] ?? 0
                print("hot folder \(folder.path) -> \(folder.port): \(waiting) waiting, \(delivered) delivered, \(failed) failed (failed files in \(folder.failedDirectory))")
                if let problem = Self.folderProblem(folder.path, daemonRunning: running) {
                    print("hot folder \(folder.path): \(problem)")
                }
            }
            if let days = configuration.spool.keepFinishedDays {
                print("delivered and cancelled jobs are kept for \(days) day\(days == 1 ? "" : "s") (spool.keep_finished_days)")
            }
        } catch {
            Self.fail(error)
        }
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
