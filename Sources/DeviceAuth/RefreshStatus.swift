import SpoolbridgeCore

/// What the refresher is doing, for `spoolbridge device status`, `spoolbridge status` and the
/// systemd `STATUS=` line. Never holds a token.
public struct RefreshStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        /// No token pair stored: run `spoolbridge device register` (or `spoolbridge login`).
        case notRegistered = "not-registered"
        /// A valid access token; the next refresh is scheduled.
        case fresh
        case refreshing
        /// The last refresh failed transiently; the next attempt is at `nextAttemptAt`.
        case retrying
        /// The grant is dead (invalid_grant, or a refresh token spent by an interrupted refresh).
        case needsRegistration = "needs-registration"
    }

    public var state: State
    public var mode: DeviceAuth.Mode?
    public var deviceID: String?
    public var accessTokenExpiresAt: Timestamp?
    public var lastRefreshAt: Timestamp?
    public var lastError: String?
    /// The next scheduled refresh, or the next retry after a failure.
    public var nextAttemptAt: Timestamp?
    /// Failed attempts since the last success.
    public var attempts: Int

    public init(
        state: State, mode: DeviceAuth.Mode? = nil, deviceID: String? = nil, accessTokenExpiresAt: Timestamp? = nil,
        lastRefreshAt: Timestamp? = nil, lastError: String? = nil, nextAttemptAt: Timestamp? = nil, attempts: Int = 0
    ) {
        self.state = state
        self.mode = mode
        self.deviceID = deviceID
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.lastRefreshAt = lastRefreshAt
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
    }

    /// What the stored state says, for a CLI that runs beside (or without) the daemon.
    /// `expectedMode`: the mode `[auth]` asks for, which names the command to run when nothing is stored.
    public init(stored: AuthState?, expectedMode: DeviceAuth.Mode? = nil) {
        guard let stored else {
            self.init(state: .notRegistered, mode: expectedMode)
            return
        }
        var state: State = stored.tokens == nil ? .notRegistered : (stored.attempts > 0 ? .retrying : .fresh)
        var lastError = stored.lastError
        if let reason = stored.needsRegistration {
            state = .needsRegistration
            lastError = reason
        } else if let since = stored.spendingRefreshTokenSince, stored.tokens != nil {
            // Either the daemon is refreshing right now, or a refresh was cut off and the daemon will
            // ask for a new registration when it starts.
            state = .refreshing
            lastError = lastError ?? "a refresh started at \(Self.clock(since)) and has not finished"
        }
        // Freshly registered: the daemon has not written its schedule yet; it refreshes at 80 %.
        let scheduled = stored.tokens.map {
            $0.receivedAt.adding(seconds: $0.lifetimeSeconds * RefreshStateMachine.Settings().refreshAtFraction)
        }
        self.init(
            state: state, mode: stored.mode, deviceID: stored.deviceID, accessTokenExpiresAt: stored.tokens?.accessTokenExpiresAt,
            lastRefreshAt: stored.lastRefreshAt, lastError: lastError,
            nextAttemptAt: stored.nextAttemptAt ?? (state == .fresh ? scheduled : nil), attempts: stored.attempts)
    }

    /// What the admin should run, when anything.
    public var remedy: String? {
        switch state {
        case .notRegistered, .needsRegistration:
            mode == .userToken
                ? "run `spoolbridge login --user USER --password-file FILE`"
                : "run `spoolbridge device register` and approve the device in the cloud's admin UI"
        case .fresh, .refreshing, .retrying: nil
        }
    }

    /// One line, e.g. for `STATUS=`: "token fresh until 10:42:00Z, refresh at 10:30:00Z".
    public var summary: String {
        switch state {
        case .notRegistered: "token: not registered"
        case .fresh:
            "token fresh" + (accessTokenExpiresAt.map { " until \(Self.clock($0))" } ?? "")
                + (nextAttemptAt.map { ", refresh at \(Self.clock($0))" } ?? "")
        case .refreshing: "token refreshing"
        case .retrying:
            "token refresh failed \(attempts)x, next try \(nextAttemptAt.map(Self.clock) ?? "soon")"
        case .needsRegistration: "token: device must register again"
        }
    }

    /// `HH:MM:SSZ` of a timestamp (UTC), enough for a status line.
    static func clock(_ time: Timestamp) -> String {
        let seconds = Int((time.millisecondsSince1970 / 1000) % 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }
}
