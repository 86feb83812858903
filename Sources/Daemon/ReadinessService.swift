import Logging
import Ingest
import Outbox
import ServiceLifecycle
import SystemIntegration

/// Says READY=1 once every source has reported that it takes work (`started`), and STOPPING=1 on
/// graceful shutdown. A source that cannot start ends the group before READY is ever said.
struct ReadinessService: Service {
    let notifier: SystemdNotifier
    let outbox: Outbox
    let logger: Logger
    let hotFolders: Int
    let started: StartupBarrier

    func run() async throws {
        await started.wait()
        guard !Task.isCancelled else { return }
        let queued = (try? outbox.summary())?.counts[.queued] ?? 0
        let status = "watching \(hotFolders) hot folder(s); \(queued) job(s) queued"
        notifier.ready(status: status)
        logger.info("spoolbridge is running", metadata: ["spool": "\(outbox.layout.directory)", "queued": "\(queued)"])
        try? await gracefulShutdown()
        notifier.stopping()
        logger.info("spoolbridge is stopping")
    }
}
