import Config
import Foundation
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// Keeps the outbox from growing with its history: forgets delivered and cancelled jobs older than
/// `spool.keep_finished_days`, at start and then once an hour. The hourly timer is a schedule, not
/// a poll for work: nothing waits on it.
struct PruneService: Service {
    let outbox: Outbox
    let keepFinishedDays: Int
    let interval: Duration
    let logger: Logger

    /// None when `keep_finished_days = 0` (keep for ever).
    static func services(configuration: DaemonConfiguration, outbox: Outbox, logger: Logger) -> [any Service] {
        guard let days = configuration.spool.keepFinishedDays else { return [] }
        return [PruneService(outbox: outbox, keepFinishedDays: days, interval: .seconds(3600), logger: logger.with(label: "prune"))]
    }

    func run() async throws {
        // Graceful shutdown cancels the sleep; a batch already running finishes on the outbox's queue.
        try? await cancelWhenGracefulShutdown {
            while true {
                await prune()
                try await Task.sleep(for: interval)
            }
        }
    }

    private func prune() async {
        let cutoff = Outbox.systemClock().adding(seconds: -Double(keepFinishedDays) * 86_400)
        do {
            let pruned = try await outbox.perform { try $0.pruneFinished(olderThan: cutoff) }
            if pruned > 0 {
                logger.info("forgot \(pruned) delivered or cancelled job(s) finished more than \(keepFinishedDays) day(s) ago (spool.keep_finished_days)")
            }
        } catch {
            logger.error("cannot forget old finished jobs: \(error); trying again in an hour", metadata: ["spool": "\(outbox.layout.directory)"])
        }
    }
}
