import Logging
import Outbox
import ServiceLifecycle
import SystemIntegration

/// Started last: by then every other service is running, so this is when systemd hears READY=1.
/// On graceful shutdown it says STOPPING=1.
struct ReadinessService: Service {
    let notifier: SystemdNotifier
    let outbox: Outbox
    let logger: Logger
    let hotFolders: Int

    func run() async throws {
        let queued = (try? outbox.summary())?.counts[.queued] ?? 0
        let status = "watching \(hotFolders) hot folder(s); \(queued) job(s) queued"
        notifier.ready(status: status)
        logger.info("spoolbridge is running", metadata: ["spool": "\(outbox.layout.directory)", "queued": "\(queued)"])
        try? await gracefulShutdown()
        notifier.stopping()
        logger.info("spoolbridge is stopping")
    }
}
