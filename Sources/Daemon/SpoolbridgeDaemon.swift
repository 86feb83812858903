import CloudAPI
import Config
import Delivery
import Foundation
import Ingest
import Logging
import Observability
import Outbox
import ServiceLifecycle
import SpoolbridgeCore
import SystemIntegration

/// The composition root: builds every service from the configuration and runs them in one
/// ServiceGroup, which owns start-up order, signals and graceful shutdown.
public enum SpoolbridgeDaemon {
    public static func run(configuration: DaemonConfiguration, configFile: String, logger: Logger) async throws {
        // Jobs are other people's documents: nothing the daemon creates is readable by others.
        umask(0o077)
        _ = OpsMetrics.registry  // swift-metrics' one bootstrap, before anything records
        let notifier = SystemdNotifier()
        let apiKey = try APIKeySource.load(configuration.cloud, configFile: configFile)
        for warning in apiKey.warnings { logger.warning("\(warning)") }

        // One daemon per spool, decided before anything in it is read or written: a second `run`
        // must not recover (re-queue) the first one's uploads or delete its fresh payloads.
        let lock = try SpoolLock.acquire(spoolDirectory: configuration.spool.directory)
        defer { lock.release() }

        let outbox = try Outbox(
            directory: configuration.spool.directory, maxDocumentBytes: configuration.spool.maxDocumentBytes,
            minFreeBytes: configuration.spool.minFreeBytes, retryPolicy: configuration.retryPolicy)
        let report = try outbox.recoverAfterCrash()
        if !report.isEmpty {
            logger.notice("recovered the outbox after an unclean stop", metadata: [
                "requeued-uploads": "\(report.requeuedUploads)", "completed-claims": "\(report.completedClaims)",
                "dropped-claims": "\(report.droppedClaims)", "finished-disposals": "\(report.finishedDisposals)",
                "removed-orphans": "\(report.removedOrphans)",
            ])
        }

        let statusLine = SystemdStatusLine(notifier: notifier)
        let health = HealthState(
            outbox: outbox, unhealthyAfterSeconds: configuration.http.unhealthyAfterSeconds, statusLine: statusLine)
        // `[auth] mode` decides: device or user tokens kept fresh by a refresher, or the API key alone.
        let authRelay = AuthHealthRelay(mode: configuration.auth.mode, health: health)
        let auth = try await DeviceAuthService.start(
            configuration: configuration, configFile: configFile, apiKey: apiKey.key, logger: logger,
            observer: { authRelay.observe($0, $1) })
        let client: CloudClient
        do {
            client = try CloudClient(
                configuration: CloudClient.Configuration(
                    baseURL: configuration.cloud.url, apiKey: apiKey.key, caFile: configuration.cloud.caFile,
                    allowInsecureHTTP: configuration.cloud.allowInsecureHTTP,
                    maxConnections: configuration.delivery.concurrency, stallTimeout: .seconds(configuration.delivery.stallSeconds)),
                tokenSource: auth?.refresher)
        } catch {
            await auth?.shutdown()
            throw error
        }

        let delivery = DeliveryService(
            outbox: outbox, client: client, concurrency: configuration.delivery.concurrency,
            logger: logger.with(label: "delivery"), observer: { health.observe($0, at: $1) })
        authRelay.attach(delivery)
        var services: [any Service] = [delivery, WakeSignalService(outbox: outbox)]
        let cups = CupsIngest.services(configuration: configuration, outbox: outbox, logger: logger)
        // READY=1 waits for every source to be up: the hot folders watched, the CUPS socket bound, the
        // health endpoint listening.
        let http = OpsEndpoint.services(configuration: configuration, health: health, logger: logger)
        let started = StartupBarrier(expected: 1 + cups.count + http.count)
        // Always there, even with no hot folder: a reload may add some.
        let hotFolders = HotFolderService(folders: configuration.hotFolders, outbox: outbox, logger: logger, started: started)
        services.append(hotFolders)
        services += cups.map { $0(started) }
        services += http.map { $0(started) }
        services += PruneService.services(configuration: configuration, outbox: outbox, logger: logger)
        if let reader = configuration.cardReader {
            services.append(CardReaderService(settings: reader, outbox: outbox, logger: logger.with(label: "card-reader")))
        }
        services.append(WatchdogService(notifier: notifier, isHealthy: { outbox.answersQueries() }))
        services.append(ReadinessService(notifier: notifier, statusLine: statusLine, outbox: outbox, logger: logger,
                                         started: started, folderStates: hotFolders.folderStates))
        services.append(ReloadService(
            configFile: configFile, initial: configuration,
            targets: .init(hotFolders: hotFolders, delivery: delivery, health: health),
            notifier: notifier, logger: logger.with(label: "reload")))

        let group = ServiceGroup(configuration: .init(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            await auth?.shutdown()
            try? await client.shutdown()
            throw error
        }
        await auth?.shutdown()
        try? await client.shutdown()
    }
}

extension Logger {
    /// A logger for one part of the daemon. Its level is the process's (`LogLevelControl`), which a
    /// reload can change, so it is not copied here.
    func with(label suffix: String) -> Logger {
        Logger(label: label + "." + suffix)
    }
}

extension Outbox {
    /// The watchdog's health check: the database answers. (A full disk is logged, not a hang.)
    func answersQueries() -> Bool {
        (try? summary()) != nil
    }
}
