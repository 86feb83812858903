import Logging
import Ingest
import Outbox
import ServiceLifecycle
import SystemIntegration

/// Says READY=1 once every source has reported that it takes work (`started`), keeps systemd's
/// STATUS= line saying which hot folders are watched or missing, and says STOPPING=1 on graceful
/// shutdown. A source that cannot start ends the group before READY is ever said.
struct ReadinessService: Service {
    let notifier: SystemdNotifier
    /// Where STATUS= is composed (auth's problem joins the hot folders' summary there).
    let statusLine: SystemdStatusLine
    let outbox: Outbox
    let logger: Logger
    let started: StartupBarrier
    /// Changes of the hot folders' states.
    let folderStates: AsyncStream<[String: HotFolderState]>

    func run() async throws {
        await started.wait()
        guard !Task.isCancelled else { return }
        let queued = (try? outbox.summary())?.counts[.queued] ?? 0
        statusLine.ready("running; \(queued) job(s) queued at start")
        logger.info("spoolbridge is running", metadata: ["spool": "\(outbox.layout.directory)", "queued": "\(queued)"])
        // `systemctl status spoolbridge` shows a missing hot folder until it is back.
        await cancelWhenGracefulShutdown {
            for await states in folderStates {
                statusLine.setMain(HotFolderState.summary(states))
            }
        }
        notifier.stopping()
        logger.info("spoolbridge is stopping")
    }
}
