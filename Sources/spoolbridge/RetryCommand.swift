import ArgumentParser
import Daemon
import SpoolbridgeCore

struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send a job again now: a waiting job skips its backoff; a failed or cancelled one is queued again.",
        discussion: "A failed job's file is taken back from the failed folder (it must still be there). Fix the cause first: a job refused by the cloud (HTTP 400/403/404/413) fails the same way again.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "The job id (see `spoolbridge jobs`).")
    var id: Int64

    func run() throws {
        do {
            let (_, outbox) = try options.openOutbox()
            let job = try outbox.retry(JobID(id))
            let nudged = DaemonNudge.send(spool: outbox.layout)
            print("job \(job.id) queued\(nudged ? "; the daemon was told" : "; it is sent when the daemon runs")")
        } catch {
            Self.fail(error)
        }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a job that is not uploading; its file goes to the failed folder.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "The job id (see `spoolbridge jobs`).")
    var id: Int64

    func run() throws {
        do {
            let (_, outbox) = try options.openOutbox()
            let job = try outbox.cancel(JobID(id))
            let path = try outbox.failedPath(of: job.id)
            print("job \(job.id) cancelled\(path.map { "; its file is \($0)" } ?? "")")
        } catch {
            Self.fail(error)
        }
    }
}
