import Config
import Ingest
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore
import SystemIntegration

#if canImport(Glibc)
import Glibc
#endif

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
        // Socket activation (spoolbridge.socket): the socket is already listening, and connections that
        // arrived while the daemon was not running wait in its backlog.
        let passed = SocketActivation.takeListeningSocket()
        switch cups.listenDecision() {
        case .off, .skip:
            if let passed {
                logger.notice("systemd passed a socket, but [cups] is off; closing it (disable spoolbridge.socket)")
                close(passed)
            }
            if case .skip(let notice) = cups.listenDecision() { logger.notice("\(notice)") }
            return []
        case .listen, .cannotListen:
            if let passed, let mismatch = SocketActivation.check(passed, isListeningAt: cups.socketPath) {
                close(passed)
                return [{ _ in FailingService(error: mismatch) }]
            }
            // A required socket whose directory is missing: the listener refuses to start with its own
            // error (path and fix), which stops the daemon like any other start-up failure.
            return [{ started in
                BackendSocketService(socketPath: cups.socketPath, inheritedFD: passed, outbox: outbox, userMapping: mapping,
                                     logger: logger.with(label: "cups"), started: started)
            }]
        }
    }
}

/// A service that ends the group with `error` at start (a configuration problem found while composing).
struct FailingService: Service {
    let error: any Error & Sendable

    func run() async throws {
        throw error
    }
}
