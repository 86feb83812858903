import SpoolbridgeCore

/// What the health evaluator looks at: the outbox's summary plus what only the running daemon knows
/// (the cloud's state, failing commits). The CLI fills in what it can and leaves the rest `unknown`.
public struct HealthInputs: Sendable, Hashable {
    public enum Cloud: Sendable, Hashable {
        /// Answering since the daemon started or since the last outage ended.
        case reachable(since: Timestamp)
        case unreachable(since: Timestamp, lastError: String)
        /// Not known (the CLI, which does not talk to the cloud).
        case unknown
    }

    public enum OutboxAccess: Sendable, Hashable {
        case ok
        /// Recording results fails (SQLITE_BUSY, I/O error, a full disk): nothing can be delivered.
        case unwritable(reason: String)
        /// The summary query itself failed.
        case unreadable(reason: String)
    }

    /// Delivery holds because the cloud refused our bearer token even after a refresh.
    public struct AuthRefusal: Sendable, Hashable {
        public var since: Timestamp
        public var lastError: String

        public init(since: Timestamp, lastError: String) {
            self.since = since
            self.lastError = lastError
        }
    }

    public var now: Timestamp
    public var daemonRunning: Bool
    public var counts: [JobState: Int]
    public var oldestWaitingSince: Timestamp?
    public var freeBytes: Int64?
    public var minFreeBytes: Int64
    public var lastDelivery: Timestamp?
    public var outbox: OutboxAccess
    public var cloud: Cloud
    public var unhealthyAfterSeconds: Double
    /// The token refresher's state. The CLI, which cannot ask the refresher, passes what the config
    /// implies (`.apiKey` by default).
    public var auth: AuthHealth
    public var authRefusal: AuthRefusal?

    public init(
        now: Timestamp, daemonRunning: Bool, counts: [JobState: Int], oldestWaitingSince: Timestamp?, freeBytes: Int64?,
        minFreeBytes: Int64, lastDelivery: Timestamp?, outbox: OutboxAccess, cloud: Cloud, unhealthyAfterSeconds: Double,
        auth: AuthHealth = .apiKey, authRefusal: AuthRefusal? = nil
    ) {
        self.auth = auth
        self.authRefusal = authRefusal
        self.now = now
        self.daemonRunning = daemonRunning
        self.counts = counts
        self.oldestWaitingSince = oldestWaitingSince
        self.freeBytes = freeBytes
        self.minFreeBytes = minFreeBytes
        self.lastDelivery = lastDelivery
        self.outbox = outbox
        self.cloud = cloud
        self.unhealthyAfterSeconds = unhealthyAfterSeconds
    }
}
