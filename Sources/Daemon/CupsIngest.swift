import Config
import Ingest
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// The CUPS backend's socket listener, unless `[cups] enabled = false`.
enum CupsIngest {
    static func services(configuration: DaemonConfiguration, outbox: Outbox, logger: Logger) -> [any Service] {
        let cups = configuration.cups
        guard cups.enabled else { return [] }
        let mapping = UserNameMapping(stripDomain: cups.stripDomain, stripRealm: cups.stripRealm, lowercase: cups.lowercase)
        return [BackendSocketService(socketPath: cups.socketPath, outbox: outbox, userMapping: mapping,
                                     logger: logger.with(label: "cups"))]
    }
}
