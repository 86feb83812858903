import SpoolbridgeCore

extension RefreshStatus {
    /// The refresher's state as health reports it (`/healthz`, `status --json`, `STATUS=`). Not
    /// registered counts as "needs re-registration": no refresh can help, only the admin can.
    /// `configured` is `[auth] mode`, which health reports even when the stored pair is another mode's.
    public func authHealth(mode configured: AuthMode) -> AuthHealth {
        let health: AuthHealth.State
        switch state {
        case .fresh: health = .ok
        case .refreshing: health = .refreshing
        case .retrying:
            health = .retrying(
                nextRetryAt: nextAttemptAt ?? accessTokenExpiresAt ?? Timestamp(millisecondsSince1970: 0),
                attempts: attempts, lastError: lastError ?? "no error recorded")
        case .notRegistered:
            health = .needsRegistration(reason: "no token stored; " + (remedy ?? "run `spoolbridge device register`"))
        case .needsRegistration:
            health = .needsRegistration(
                reason: (lastError ?? "the grant was refused") + "; " + (remedy ?? "run `spoolbridge device register`"))
        }
        return AuthHealth(
            mode: configured, state: health, accessTokenExpiresAt: accessTokenExpiresAt,
            lastRefreshAt: lastRefreshAt)
    }
}
