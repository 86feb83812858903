import SpoolbridgeCore

/// What the running daemon has learnt that the outbox does not hold: whether the cloud answers, whether
/// results can be recorded, when the last delivery happened. A value; the daemon keeps one behind a lock
/// and feeds it delivery's notices.
public struct HealthFacts: Sendable, Hashable {
    public private(set) var cloud: HealthInputs.Cloud
    public private(set) var commitFailure: String?
    public private(set) var lastDelivery: Timestamp?
    /// What the token refresher last said (`setAuth`); `.apiKey` until then.
    public private(set) var auth: AuthHealth = .apiKey
    /// Delivery holds because the cloud refuses our token; nil when it does not.
    public private(set) var authRefusal: HealthInputs.AuthRefusal?

    /// The cloud counts as reachable from the start until a request says otherwise.
    public init(startedAt: Timestamp) {
        cloud = .reachable(since: startedAt)
    }

    /// The refresher's latest state (DeviceAuth calls this through the daemon's health state).
    public mutating func setAuth(_ auth: AuthHealth) {
        self.auth = auth
    }

    /// The cloud answered, but refused our token: it is reachable, and delivery holds for auth.
    public mutating func authenticationRefused(at now: Timestamp, error: String) {
        cloudAvailable(at: now)
        authRefusal = .init(since: authRefusal?.since ?? now, lastError: error)
    }

    public mutating func authenticationAccepted() {
        authRefusal = nil
    }

    public mutating func cloudUnavailable(at now: Timestamp, error: String) {
        // Whether the token would be accepted is unknown again while the cloud does not answer.
        authRefusal = nil
        if case .unreachable(let since, _) = cloud {
            cloud = .unreachable(since: since, lastError: error)
        } else {
            cloud = .unreachable(since: now, lastError: error)
        }
    }

    public mutating func cloudAvailable(at now: Timestamp) {
        if case .reachable = cloud { return }
        cloud = .reachable(since: now)
    }

    public mutating func commitFailing(_ reason: String) {
        commitFailure = reason
    }

    public mutating func commitRecovered() {
        commitFailure = nil
    }

    public mutating func delivered(at time: Timestamp) {
        lastDelivery = max(lastDelivery ?? time, time)
    }
}
