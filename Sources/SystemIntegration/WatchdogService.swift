import ServiceLifecycle

/// Keeps systemd's watchdog (`WatchdogSec=`) fed while the daemon is healthy.
///
/// Pings at half the interval, and only when `isHealthy()` says so: a wedged daemon stops pinging and
/// systemd restarts it. Without a watchdog it sleeps until graceful shutdown instead of returning, so it
/// costs no wake-ups and does not end a `ServiceGroup` whose default is to cancel the group when a
/// service returns. Ends on graceful shutdown or cancellation.
public struct WatchdogService: Service {
    private let notifier: SystemdNotifier
    private let isHealthy: @Sendable () async -> Bool

    public init(notifier: SystemdNotifier, isHealthy: @escaping @Sendable () async -> Bool) {
        self.notifier = notifier
        self.isHealthy = isHealthy
    }

    public func run() async throws {
        guard let interval = notifier.watchdogInterval else {
            // CancellationError here only means "stop", which is what returning does.
            try? await gracefulShutdown()
            return
        }
        let period = interval / 2
        let notifier = self.notifier
        let isHealthy = self.isHealthy
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await isHealthy() {
                    notifier.watchdogPing()
                }
                do {
                    try await Task.sleep(for: period, tolerance: period / 10)
                } catch {
                    return  // cancelled: graceful shutdown or the task was cancelled
                }
            }
        }
    }
}
