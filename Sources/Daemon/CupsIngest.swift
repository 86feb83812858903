import Config
import Ingest
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// The CUPS backend's socket listener, unless `[cups] enabled = false`.
enum CupsIngest {
    /// Each service is built once the start-up barrier it reports to exists.
    static func services(configuration: DaemonConfiguration, outbox: Outbox, logger: Logger)
        -> [@Sendable (StartupBarrier) -> any Service]
    {
        let cups = configuration.cups
        guard cups.enabled else { return [] }
        let mapping = UserNameMapping(stripDomain: cups.stripDomain, stripRealm: cups.stripRealm, lowercase: cups.lowercase)
        return [{ started in
            BackendSocketService(socketPath: cups.socketPath, outbox: outbox, userMapping: mapping,
                                 logger: logger.with(label: "cups"), started: started)
        }]
    }
}
