/// What the token refresher knows about authentication, for `/healthz`, `spoolbridge status` and
/// systemd's `STATUS=` line. A value: the refresher (DeviceAuth) produces a new one at every change
/// and hands it to the daemon's health state; with `mode = "api-key"` it is `.apiKey` for good.
/// Never holds a token: only times, counts and messages that name no secret.
public struct AuthHealth: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// A valid token is at hand (or no token is needed).
        case ok
        /// A refresh is in flight.
        case refreshing
        /// Refreshing failed `attempts` times in a row; the next try is at `nextRetryAt`.
        case retrying(nextRetryAt: Timestamp, attempts: Int, lastError: String)
        /// No refresh can help (`invalid_grant`, a spent refresh token, never registered): the admin
        /// must register the device (or log in) again. `reason` says what to run.
        case needsRegistration(reason: String)
        /// Not known: the CLI, which cannot ask the running daemon's refresher.
        case unknown
    }

    public var mode: AuthMode
    public var state: State
    /// When the current access token expires, when known.
    public var accessTokenExpiresAt: Timestamp?
    /// The last successful refresh, when known.
    public var lastRefreshAt: Timestamp?

    public init(mode: AuthMode, state: State, accessTokenExpiresAt: Timestamp? = nil, lastRefreshAt: Timestamp? = nil) {
        self.mode = mode
        self.state = state
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.lastRefreshAt = lastRefreshAt
    }

    /// The API key alone: nothing to refresh, always ok.
    public static let apiKey = AuthHealth(mode: .apiKey, state: .ok)

    /// What the CLI can say from the configuration alone: ok for the API key, unknown for tokens.
    public static func unknown(mode: AuthMode) -> AuthHealth {
        mode == .apiKey ? .apiKey : AuthHealth(mode: mode, state: .unknown)
    }

    /// The health document's `auth`: `ok`, `refreshing`, `retrying` or `needs re-registration`.
    public var summary: String {
        switch state {
        case .ok: "ok"
        case .refreshing: "refreshing"
        case .retrying: "retrying"
        case .needsRegistration: "needs re-registration"
        case .unknown: "unknown"
        }
    }

    /// True when only an admin can fix it: health is 503 until then.
    public var needsAdmin: Bool {
        if case .needsRegistration = state { return true }
        return false
    }

    /// The last error, when the state has one.
    public var lastError: String? {
        switch state {
        case .ok, .refreshing, .unknown: nil
        case .retrying(_, _, let error): error
        case .needsRegistration(let reason): reason
        }
    }

    /// For systemd's `STATUS=` line; nil when all is well (the line then says nothing of auth). The
    /// next retry is a UTC time of day, which stays true while the line is shown (a countdown would not).
    public var statusLine: String? {
        switch state {
        case .ok, .refreshing, .unknown:
            return nil
        case .retrying(let next, let attempts, let error):
            return "auth (\(mode)): token refresh failed \(attempts) time(s), next try at \(Self.timeOfDay(next)) UTC: \(error)"
        case .needsRegistration(let reason):
            return "auth (\(mode)): needs re-registration: \(reason)"
        }
    }

    /// `HH:MM:SS` of `time` in UTC.
    static func timeOfDay(_ time: Timestamp) -> String {
        let seconds = Int((time.secondsSince1970).rounded(.up)) % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
