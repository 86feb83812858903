#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// Listens on the Unix socket the CUPS backend (`spoolbridge:` queues) connects to, and turns each
/// handed-over job into an outbox job. A job is answered `OK` only once it is durable (payload and
/// directory flushed, row committed); the job-uuid makes a job that CUPS hands over twice one job.
///
/// The socket is created with mode 0666 in an existing directory; who may hand over jobs is decided
/// per connection from the kernel's peer credentials: root, the `lp` user and the daemon's own user.
public struct BackendSocketService: Service {
    private let socketPath: String
    private let inheritedFD: Int32?
    private let outbox: Outbox
    private let userMapping: UserNameMapping
    private let logger: Logger
    private let maxConnections: Int
    private let idleTimeoutSeconds: Int
    private let drainSeconds: Double
    private let started: StartupBarrier?

    /// - Parameters:
    ///   - maxConnections: handoffs served at once; more wait in the listen backlog.
    ///   - idleTimeout: how long a transfer may stall (filters can be slow) before it is dropped.
    ///   - drainTime: on shutdown, how long transfers in flight may take to finish.
    /// - Parameter inheritedFD: a socket systemd passed already listening at `socketPath` (socket activation);
    ///   nil binds the socket here.
    public init(
        socketPath: String, inheritedFD: Int32? = nil, outbox: Outbox, userMapping: UserNameMapping, logger: Logger,
        maxConnections: Int = 32, idleTimeout: Duration = .seconds(600), drainTime: Duration = .seconds(5),
        started: StartupBarrier? = nil
    ) {
        self.started = started
        self.socketPath = socketPath
        self.inheritedFD = inheritedFD
        self.outbox = outbox
        self.userMapping = userMapping
        self.logger = logger
        self.maxConnections = max(1, maxConnections)
        self.idleTimeoutSeconds = max(1, Int(idleTimeout.components.seconds))
        self.drainSeconds = Double(drainTime.components.seconds) + Double(drainTime.components.attoseconds) / 1e18
    }

    /// - Throws: `BackendSocketError` when the socket cannot be set up.
    public func run() async throws {
        var allowed: Set<uid_t> = [0, geteuid()]
        if let lp = UnixSocket.uid(ofUser: "lp") { allowed.insert(lp) }
        let connectionTemplate = (outbox, userMapping, allowed, idleTimeoutSeconds, logger)
        let server = try BackendSocketServer(
            socketPath: socketPath, inheritedFD: inheritedFD, maxConnections: maxConnections, logger: logger) { fd, stopping in
            BackendConnection(
                fd: fd, outbox: connectionTemplate.0, userMapping: connectionTemplate.1, allowedUIDs: connectionTemplate.2,
                idleTimeoutSeconds: connectionTemplate.3, stopping: stopping, logger: connectionTemplate.4)
        }
        server.start()
        logger.info("listening for the CUPS backend", metadata: [
            "socket": "\(socketPath)", "activation": "\(inheritedFD == nil ? "bound by spoolbridge" : "passed by systemd")",
            "user-mapping": "\(userMapping)",
        ])
        started?.arrive()
        // Either ends the wait: a graceful shutdown returns, cancellation throws.
        try? await gracefulShutdown()
        let drain = drainSeconds
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                server.stop(drainSeconds: drain)
                continuation.resume()
            }
        }
        logger.info("stopped listening for the CUPS backend")
    }
}
