import CloudAPI
import SpoolbridgeCore

extension RefreshStateMachine {
    public struct Settings: Sendable, Hashable {
        /// The refresh is due at this fraction of the access token's lifetime.
        public var refreshAtFraction: Double
        /// Exponential backoff after a failed refresh: attempt n waits a random time in
        /// [0, min(maxSeconds, baseSeconds · 2ⁿ⁻¹)] (full jitter), but at least `minimumSeconds`.
        public var retryBaseSeconds: Double
        public var retryMaxSeconds: Double
        public var retryMinimumSeconds: Double
        /// An access token this close to its expiry is not handed out any more.
        public var expiryMarginSeconds: Double
        /// The mode `[auth]` asks for: names the command to run while nothing is stored yet.
        public var expectedMode: DeviceAuth.Mode?

        public init(
            refreshAtFraction: Double = 0.8, retryBaseSeconds: Double = 5, retryMaxSeconds: Double = 300,
            retryMinimumSeconds: Double = 1, expiryMarginSeconds: Double = 5, expectedMode: DeviceAuth.Mode? = nil
        ) {
            self.expectedMode = expectedMode
            self.refreshAtFraction = refreshAtFraction
            self.retryBaseSeconds = retryBaseSeconds
            self.retryMaxSeconds = retryMaxSeconds
            self.retryMinimumSeconds = retryMinimumSeconds
            self.expiryMarginSeconds = expiryMarginSeconds
        }
    }

    public enum Phase: Sendable, Hashable {
        case notRegistered
        /// Fresh; the next refresh is due at the instant.
        case scheduled(Timestamp)
        /// The spent marker is being written, or the refresh is on the wire.
        case refreshing(since: Timestamp)
        /// A refresh failed; the next attempt is at the instant.
        case retrying(Timestamp)
        case needsRegistration(reason: String)
    }

    public enum Event: Sendable, Hashable {
        /// The stored state was read (at start, or after a new registration replaced it).
        case loaded(AuthState?, now: Timestamp)
        case timerFired(now: Timestamp)
        /// A request sent with the access token of `generation` was answered 401.
        case tokenRejected(generation: Int, now: Timestamp)
        /// The "being spent" marker is durable: the refresh token may go out now.
        case spendingRecorded(now: Timestamp)
        /// The marker could not be written: the token is not sent (a transient failure).
        case spendingNotRecorded(reason: String, now: Timestamp, jitter: Double)
        case refreshSucceeded(OAuthTokens, now: Timestamp)
        case refreshFailed(RefreshFailure, now: Timestamp, jitter: Double)
        /// The new pair could not be written. It is used anyway (the old token is spent); the
        /// marker stays on disk, so a crash before the next successful write asks for registration.
        case tokensNotStored(reason: String, now: Timestamp)
    }

    public enum RefreshFailure: Sendable, Hashable {
        /// The server answered without tokens; it rotated nothing.
        case refused(OAuthRefusal)
        case noAnswer(reason: String, requestMayHaveArrived: Bool)
    }

    public enum Action: Sendable, Hashable {
        /// Durably mark the refresh token as being spent, then report `spendingRecorded`.
        case recordSpending
        case sendRefresh(clientID: String, refreshToken: Secret)
        /// Durably write the new pair (clearing the marker) before anything uses it.
        case storeTokens(StoredTokens)
        /// The server answered without rotating: the refresh token is still good; clear the marker.
        case clearSpending
        case armTimer(at: Timestamp)
        case cancelTimer
        /// Hand `tokenAnswer` to every caller waiting for a token.
        case answerWaiters
        /// Persist the status (last error, next attempt, attempts, needs registration).
        case recordStatus
        case announce(Announcement)
    }

    /// State changes worth a log line. No secrets.
    public enum Announcement: Sendable, Hashable {
        case fresh(expiresAt: Timestamp, nextRefreshAt: Timestamp)
        case refreshed(expiresAt: Timestamp, nextRefreshAt: Timestamp)
        case refreshStarted(reason: String)
        case retrying(at: Timestamp, attempts: Int, error: String)
        case needsRegistration(reason: String)
        case notRegistered
    }

    /// What a caller asking for the access token gets now.
    public enum TokenAnswer: Sendable, Hashable {
        case ready(Secret, generation: Int)
        /// A refresh is in flight and the current token is not usable: wait for it (bounded).
        case wait
        case unavailable(reason: String)
    }
}
