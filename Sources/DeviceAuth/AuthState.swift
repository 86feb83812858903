import CloudAPI
import SpoolbridgeCore

/// Everything `state.json` holds: the device's identity, the token pair and what the refresher
/// last did. Tokens are `Secret`s in memory (they print as `<redacted>`); only the file, mode 0600,
/// holds their values.
public struct AuthState: Sendable, Hashable {
    /// The `client_id` this device registered with; generated once and kept across registrations.
    public var deviceID: String
    public var mode: DeviceAuth.Mode
    /// New for every registration or login: a running daemon that finds another id in the file knows
    /// the admin registered again and adopts the new pair instead of refreshing its old one.
    public var registrationID: String
    public var tokens: StoredTokens?
    public var registeredAt: Timestamp?
    public var lastRefreshAt: Timestamp?
    /// Set (durably) just before the refresh token is sent, cleared by the write that stores the new
    /// pair. Found set at start: the old token may be spent and the new pair is lost, so the device
    /// must register again (the token is never sent twice).
    public var spendingRefreshTokenSince: Timestamp?
    /// Why the stored grant is dead (invalid_grant, a spent token after a crash); nil while usable.
    public var needsRegistration: String?
    public var lastError: String?
    public var lastErrorAt: Timestamp?
    public var nextAttemptAt: Timestamp?
    /// Failed refresh attempts since the last success.
    public var attempts: Int

    public init(deviceID: String, mode: DeviceAuth.Mode, registrationID: String) {
        self.deviceID = deviceID
        self.mode = mode
        self.registrationID = registrationID
        self.attempts = 0
    }

    /// A usable pair: stored, and the grant not known to be dead.
    public var hasUsableTokens: Bool { tokens != nil && needsRegistration == nil }

    /// Installs a pair just obtained by registration or login: a new registration, a clean slate.
    public mutating func install(_ tokens: StoredTokens, mode: DeviceAuth.Mode, registrationID: String, at now: Timestamp) {
        self.mode = mode
        self.registrationID = registrationID
        self.tokens = tokens
        registeredAt = now
        lastRefreshAt = now
        spendingRefreshTokenSince = nil
        needsRegistration = nil
        lastError = nil
        lastErrorAt = nil
        nextAttemptAt = nil
        attempts = 0
    }
}

/// An access and refresh token pair with the access token's absolute expiry.
public struct StoredTokens: Sendable, Hashable {
    public var accessToken: Secret
    public var refreshToken: Secret
    public var accessTokenExpiresAt: Timestamp
    /// When the pair was received: the refresh is scheduled at a fraction of `expires_in` from here.
    public var receivedAt: Timestamp

    public init(accessToken: Secret, refreshToken: Secret, accessTokenExpiresAt: Timestamp, receivedAt: Timestamp) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.receivedAt = receivedAt
    }

    public init(_ tokens: OAuthTokens, receivedAt: Timestamp) {
        self.init(
            accessToken: tokens.accessToken, refreshToken: tokens.refreshToken,
            accessTokenExpiresAt: receivedAt.adding(seconds: tokens.expiresInSeconds), receivedAt: receivedAt)
    }

    public var lifetimeSeconds: Double { accessTokenExpiresAt.seconds(since: receivedAt) }
}
