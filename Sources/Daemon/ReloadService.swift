import Config
import Delivery
import Dispatch
import Foundation
import Ingest
import Logging
import ServiceLifecycle
import SystemIntegration

/// SIGHUP (`systemctl reload spoolbridge`) re-reads the configuration file: `RELOADING=1`, then the
/// changes `ReloadPlan` says can be made live, then `READY=1`. A file that does not validate is refused
/// with check-config's text and the running configuration stays in force; keys that take effect only
/// at the next start are named in the log.
struct ReloadService: Service {
    struct Targets: Sendable {
        var hotFolders: HotFolderService
        var delivery: DeliveryService
        var health: HealthState
    }

    let configFile: String
    let initial: DaemonConfiguration
    let targets: Targets
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        let (signals, input) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        signal(SIGHUP, SIG_IGN)  // let Dispatch see it instead of the default action (terminate)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { input.yield() }
        source.resume()
        defer { source.cancel() }
        var running = initial
        await withGracefulShutdownHandler {
            for await _ in signals {
                running = await reload(running)
            }
        } onGracefulShutdown: {
            input.finish()
        }
    }

    /// Returns the configuration in force afterwards.
    private func reload(_ running: DaemonConfiguration) async -> DaemonConfiguration {
        notifier.reloading()
        logger.notice("reloading the configuration", metadata: ["config": "\(configFile)"])
        defer {
            // Through the composed line when there is one, so auth's part of STATUS= stays.
            if let statusLine = targets.health.statusLine {
                statusLine.ready("running; configuration reloaded")
            } else {
                notifier.ready(status: "running; configuration reloaded")
            }
        }
        let new: DaemonConfiguration
        do {
            new = try ConfigurationLoader.load(path: configFile)
        } catch {
            // The same words as `spoolbridge check-config`.
            logger.error("configuration refused: \(error); the running configuration stays in force",
                         metadata: ["config": "\(configFile)"])
            return running
        }
        let plan = ReloadPlan.plan(from: running, to: new)
        if let folders = plan.hotFolders {
            do {
                try await targets.hotFolders.reconfigure(folders)
            } catch {
                logger.error("configuration refused: \(error); the running configuration stays in force",
                             metadata: ["config": "\(configFile)"])
                return running
            }
            logger.notice("hot folders changed", metadata: [
                "added": "\(plan.addedFolders.joined(separator: ", "))",
                "removed": "\(plan.removedFolders.joined(separator: ", "))",
                "changed": "\(plan.changedFolders.joined(separator: ", "))",
            ])
        }
        if let concurrency = plan.concurrency {
            targets.delivery.setConcurrency(concurrency)
            logger.notice("delivery concurrency changed", metadata: ["concurrency": "\(concurrency)"])
        }
        if let level = plan.logLevel, let parsed = Logger.Level(rawValue: level) {
            LogLevelControl.shared.level = parsed
            logger.notice("log level changed", metadata: ["level": "\(level)"])
        }
        if let seconds = plan.unhealthyAfterSeconds {
            targets.health.setUnhealthyAfter(seconds)
        }
        if !plan.needsRestart.isEmpty {
            logger.warning("some changed settings take effect only after a restart (systemctl restart spoolbridge)",
                           metadata: ["settings": "\(plan.needsRestart.joined(separator: ", "))"])
        }
        logger.notice(plan.changesNothing ? "configuration reloaded; nothing changed" : "configuration reloaded")
        return plan.running
    }
}
