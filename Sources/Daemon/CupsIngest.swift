import Config
import Ingest
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// The CUPS backend's socket listener, as `[cups]` and this machine decide (see `ListenPolicy`):
/// off with `enabled = false`; without a `[cups]` section, only where the socket's directory exists,
/// so the minimal configuration runs in a terminal with hot folders alone.
enum CupsIngest {
    /// Each service is built once the start-up barrier it reports to exists.
    static func services(configuration: DaemonConfiguration, outbox: Outbox, logger: Logger)
        -> [@Sendable (StartupBarrier) -> any Service]
    {
        let cups = configuration.cups
        let mapping = UserNameMapping(stripDomain: cups.stripDomain, stripRealm: cups.stripRealm, lowercase: cups.lowercase)
        switch cups.listenDecision() {
        case .off:
            return []
        case .skip(let notice):
            logger.notice("\(notice)")
            return []
        case .listen, .cannotListen:
            // A required socket whose directory is missing: the listener refuses to start with its own
            // error (path and fix), which stops the daemon like any other start-up failure.
            return [{ started in
                BackendSocketService(socketPath: cups.socketPath, outbox: outbox, userMapping: mapping,
                                     logger: logger.with(label: "cups"), started: started)
            }]
        }
    }
}
