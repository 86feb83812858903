import ArgumentParser
import Foundation
import Outbox
import SpoolbridgeCore

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List jobs, newest first.",
        discussion: "States: receiving, queued, uploading, delivered, failed, cancelled. A failed job shows its reason and where its file went; fix the cause, then `spoolbridge retry ID`.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Only jobs in this state.")
    var state: JobState?

    @Option(help: "At most this many jobs.")
    var limit = 50

    @Flag(help: "Machine-readable output: a JSON array.")
    var json = false

    func run() throws {
        do {
            let (_, outbox) = try options.openOutboxForReading()
            let jobs = try outbox.jobs(states: state.map { [$0] }, limit: limit)
            if json {
                let rows = try jobs.map { job in JobRow(job, failedPath: try outbox.failedPath(of: job.id)) }
                print(try Formatting.json(rows))
                return
            }
            if jobs.isEmpty {
                print("no jobs\(state.map { " in state \($0.rawValue)" } ?? "")")
                return
            }
            for job in jobs {
                var line = "\(job.id)\t\(job.kind.rawValue)\t\(job.state.rawValue)\t\(Formatting.time(job.createdAt))\t\(job.request.username)\t\(job.request.portname)\t\(job.request.title)\t\(job.payloadSize) B\tattempts \(job.attempts)"
                if let uuid = job.documentUUID { line += "\tdocument \(uuid)" }
                if job.state == .queued, let next = job.nextAttemptAt, job.attempts > 0 {
                    line += "\tnext try \(Formatting.time(next))"
                }
                if let error = job.lastError { line += "\terror: \(error)" }
                if let path = try outbox.failedPath(of: job.id) { line += "\tfile: \(path)" }
                print(line)
            }
        } catch {
            Self.fail(error)
        }
    }
}

extension JobState: ExpressibleByArgument {}

/// The JSON shape of `jobs --json`: stable keys for scripts.
struct JobRow: Encodable {
    var id: Int64
    var state: String
    var kind: String
    var source: String
    var originalPath: String?
    var cupsJobUUID: String?
    var username: String
    var portname: String
    var title: String
    var size: Int64
    var attempts: Int
    var nextAttemptAt: String?
    var documentUUID: String?
    var lastError: DeliveryFailure?
    var failedPath: String?
    var createdAt: String
    var updatedAt: String

    init(_ job: Job, failedPath: String?) {
        id = job.id.rawValue
        state = job.state.rawValue
        source = job.source.kind
        switch job.source {
        case .hotFolder(let origin): originalPath = origin.originalPath
        case .cups(let origin): cupsJobUUID = origin.jobUUID
        case .submitted: break
        }
        kind = job.kind.rawValue
        username = job.request.username
        portname = job.request.portname
        title = job.request.title
        size = job.payloadSize
        attempts = job.attempts
        nextAttemptAt = job.nextAttemptAt.map(Formatting.time)
        documentUUID = job.documentUUID
        lastError = job.lastError
        self.failedPath = failedPath
        createdAt = Formatting.time(job.createdAt)
        updatedAt = Formatting.time(job.updatedAt)
    }
}
