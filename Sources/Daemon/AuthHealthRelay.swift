import Delivery
import DeviceAuth
import SpoolbridgeCore
import Synchronization

/// Carries the token refresher's state changes to the rest of the daemon: health (`/healthz`,
/// `status --json`, `STATUS=`) at every change, and delivery's auth hold when a new token is at hand.
/// Delivery is built after the refresher (its client needs the token source), so it is attached later;
/// a change before that needs no probe: delivery has not started.
final class AuthHealthRelay: Sendable {
    private let mode: AuthMode
    private let health: HealthState
    private let delivery: Mutex<DeliveryService?> = Mutex(nil)

    init(mode: AuthMode, health: HealthState) {
        self.mode = mode
        self.health = health
    }

    func attach(_ delivery: DeliveryService) {
        self.delivery.withLock { $0 = delivery }
    }

    /// The refresher's observer (called on its queue).
    func observe(_ status: RefreshStatus, _ announcement: RefreshStateMachine.Announcement) {
        health.setAuth(status.authHealth(mode: mode))
        if Self.bringsNewToken(announcement) {
            delivery.withLock { $0 }?.credentialsChanged()
        }
    }

    /// A refresh succeeded, or a stored pair was taken up (at start, or a registration or login the
    /// CLI stored meanwhile).
    static func bringsNewToken(_ announcement: RefreshStateMachine.Announcement) -> Bool {
        switch announcement {
        case .fresh, .refreshed: true
        case .refreshStarted, .retrying, .needsRegistration, .notRegistered: false
        }
    }
}
