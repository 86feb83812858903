import SpoolbridgeCore

/// What the running daemon has learnt that the outbox does not hold: whether the cloud answers, whether
/// results can be recorded, when the last delivery happened. A value; the daemon keeps one behind a lock
/// and feeds it delivery's notices.
public struct HealthFacts: Sendable, Hashable {
    public private(set) var cloud: HealthInputs.Cloud
    public private(set) var commitFailure: String?
    public private(set) var lastDelivery: Timestamp?

    /// The cloud counts as reachable from the start until a request says otherwise.
    public init(startedAt: Timestamp) {
        cloud = .reachable(since: startedAt)
    }

    public mutating func cloudUnavailable(at now: Timestamp, error: String) {
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
