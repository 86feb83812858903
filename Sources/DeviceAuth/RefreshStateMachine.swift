import CloudAPI
import SpoolbridgeCore

/// The refresher's decisions, without I/O: events in, actions out (see `+Types`).
///
/// Rules: the refresh is due at `refreshAtFraction` of the lifetime; one refresh at a time; a
/// transient failure re-arms with capped exponential backoff and full jitter (the driver passes the
/// random draw in); `invalid_grant`, or a refresh token that may be spent without a stored answer (a
/// crash, a lost answer, an unreadable 2xx), stops refreshing for good until a new registration; a
/// 401 for the current token refreshes now, once however many requests report it; the spent marker is durable before the refresh token leaves, and the new pair is durable
/// before it is used.
public struct RefreshStateMachine: Sendable {
    public let settings: Settings
    public private(set) var phase: Phase = .notRegistered
    public private(set) var tokens: StoredTokens?
    /// Counts the access tokens in use: a 401 names the generation it was sent with.
    public private(set) var generation = 0
    public private(set) var mode: DeviceAuth.Mode?
    public private(set) var deviceID: String?
    public private(set) var registrationID: String?
    public private(set) var lastRefreshAt: Timestamp?
    public private(set) var lastError: String?
    public private(set) var attempts = 0
    /// The generation a 401 was reported for and not yet answered by a new token.
    public private(set) var rejectedGeneration: Int?
    /// The refresh token of the current refresh has gone out: it is never sent a second time.
    private var refreshSent = false

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .loaded(let state, let now): return load(state, now: now)
        case .timerFired(let now): return timerFired(now: now)
        case .tokenRejected(let rejected, let now): return tokenRejected(rejected, now: now)
        case .spendingRecorded:
            guard case .refreshing = phase, !refreshSent, let tokens, let mode, let deviceID else { return [] }
            refreshSent = true
            return [.sendRefresh(clientID: mode.refreshClientID(deviceID: deviceID), refreshToken: tokens.refreshToken)]
        case .spendingNotRecorded(let reason, let now, let jitter):
            guard case .refreshing = phase else { return [] }
            return retry(error: "could not record the refresh durably, so the token was not sent: \(reason)", now: now, jitter: jitter, floor: nil)
        case .refreshSucceeded(let answer, let now): return refreshed(answer, now: now)
        case .refreshFailed(let failure, let now, let jitter): return failed(failure, now: now, jitter: jitter)
        case .tokensNotStored(let reason, _):
            lastError = "the refreshed tokens could not be stored (\(reason)); they are used, but a crash now means registering again"
            return [.recordStatus]
        }
    }

    /// What a caller asking for the access token gets now.
    public func tokenAnswer(now: Timestamp) -> TokenAnswer {
        if let tokens, rejectedGeneration != generation,
            now.adding(seconds: expiryMargin(for: tokens)) < tokens.accessTokenExpiresAt
        {
            return .ready(tokens.accessToken, generation: generation)
        }
        switch phase {
        case .refreshing: return .wait
        case .notRegistered: return .unavailable(reason: "no access token: \(registerHint)")
        case .needsRegistration(let reason): return .unavailable(reason: "\(reason); \(registerHint)")
        case .scheduled, .retrying:
            let why = rejectedGeneration == generation ? "the cloud refused the access token" : "the access token expired"
            return .unavailable(reason: "\(why) and it could not be refreshed yet (\(lastError ?? "no error recorded")); retrying")
        }
    }

    public var status: RefreshStatus {
        var status = RefreshStatus(
            state: .notRegistered, mode: mode, deviceID: deviceID, accessTokenExpiresAt: tokens?.accessTokenExpiresAt,
            lastRefreshAt: lastRefreshAt, lastError: lastError, attempts: attempts)
        switch phase {
        case .notRegistered: status.state = .notRegistered
        case .scheduled(let at): (status.state, status.nextAttemptAt) = (.fresh, at)
        case .refreshing: status.state = .refreshing
        case .retrying(let at): (status.state, status.nextAttemptAt) = (.retrying, at)
        case .needsRegistration(let reason): (status.state, status.lastError) = (.needsRegistration, reason)
        }
        return status
    }

    var registerHint: String {
        mode == .userToken
            ? "run `spoolbridge login --user USER --password-file FILE`"
            : "run `spoolbridge device register` and approve the device in the cloud's admin UI"
    }

    // MARK: Transitions

    private mutating func load(_ state: AuthState?, now: Timestamp) -> [Action] {
        // A fresh start: whatever was in flight belongs to the replaced registration and is ignored.
        // The generation keeps counting, so a 401 reported for the old token never names the new one.
        let previousGeneration = generation
        self = RefreshStateMachine(settings: settings)
        generation = previousGeneration
        mode = state?.mode ?? settings.expectedMode
        deviceID = state?.deviceID
        registrationID = state?.registrationID
        lastRefreshAt = state?.lastRefreshAt
        let actions: [Action] = [.cancelTimer]
        guard let state, let stored = state.tokens else {
            phase = .notRegistered
            return actions + [.answerWaiters, .announce(.notRegistered)]
        }
        tokens = stored
        generation += 1
        if let reason = state.needsRegistration {
            phase = .needsRegistration(reason: reason)
            lastError = reason
            return actions + [.answerWaiters, .announce(.needsRegistration(reason: reason))]
        }
        if let since = state.spendingRefreshTokenSince {
            // The one window no client can close: the token went out (or may have) and the new
            // pair never reached the disk. Sending it again could revoke the whole token family.
            return stop(
                reason: "a token refresh started at \(RefreshStatus.clock(since)) was interrupted (crash or power loss) before "
                    + "the new tokens were stored; the old refresh token may be spent and is never sent twice",
                actions: actions)
        }
        let due = refreshDue(for: stored)
        if due <= now { return actions + beginRefresh(now: now, reason: "the stored access token is due for refresh") }
        phase = .scheduled(due)
        return actions + [.armTimer(at: due), .answerWaiters, .announce(.fresh(expiresAt: stored.accessTokenExpiresAt, nextRefreshAt: due))]
    }

    private mutating func timerFired(now: Timestamp) -> [Action] {
        switch phase {
        case .scheduled(let at), .retrying(let at):
            guard now >= at else { return [.armTimer(at: at)] }  // early: a timer fires on its own clock
            return beginRefresh(now: now, reason: attempts == 0 ? "scheduled refresh" : "retry \(attempts + 1)")
        case .notRegistered, .refreshing, .needsRegistration:
            return []
        }
    }

    private mutating func tokenRejected(_ rejected: Int, now: Timestamp) -> [Action] {
        guard rejected == generation, tokens != nil, rejectedGeneration != rejected else { return [] }
        rejectedGeneration = rejected
        switch phase {
        case .scheduled:
            return [.cancelTimer] + beginRefresh(now: now, reason: "the cloud refused the access token (401)")
        case .retrying, .refreshing:
            // A refresh is already under way or backing off: another one now would only add load.
            return []
        case .notRegistered, .needsRegistration:
            return [.answerWaiters]
        }
    }

    private mutating func beginRefresh(now: Timestamp, reason: String) -> [Action] {
        phase = .refreshing(since: now)
        refreshSent = false
        return [.recordSpending, .announce(.refreshStarted(reason: reason))]
    }

    private mutating func refreshed(_ answer: OAuthTokens, now: Timestamp) -> [Action] {
        guard case .refreshing = phase else { return [] }
        let stored = StoredTokens(answer, receivedAt: now)
        tokens = stored
        generation += 1
        rejectedGeneration = nil
        attempts = 0
        lastError = nil
        lastRefreshAt = now
        let due = refreshDue(for: stored)
        phase = .scheduled(due)
        // Stored first: the access token is used only once the pair is on disk.
        return [
            .storeTokens(stored), .armTimer(at: due), .answerWaiters,
            .announce(.refreshed(expiresAt: stored.accessTokenExpiresAt, nextRefreshAt: due)),
        ]
    }

    private mutating func failed(_ failure: RefreshFailure, now: Timestamp, jitter: Double) -> [Action] {
        guard case .refreshing = phase else { return [] }
        switch failure {
        case .refused(let refusal) where refusal.isInvalidGrant:
            return stop(reason: "the token service refused the refresh token (\(refusal)): the grant is revoked or expired", actions: [])
        case .refused(let refusal) where (200...299).contains(refusal.httpStatus):
            // A 2xx is the server's success: it rotated, and the new pair is in an answer we cannot
            // read (a proxy's page, a cut body). The token is spent; sending it again is reuse.
            return stop(
                reason: "the token service accepted the refresh but its answer held no readable tokens (\(refusal)); "
                    + "the old refresh token is spent and is never sent twice", actions: [])
        case .refused(let refusal):
            // A 5xx says the server failed, so it most likely rotated nothing and the same token is
            // retried (Docs/authentication.md says why). It may still come from a proxy whose upstream
            // did rotate: the marker stays, so a crash during the backoff asks for a registration.
            // Any other refusal is the token service's own answer: it rotated nothing.
            let clear: [Action] = refusal.httpStatus >= 500 ? [] : [.clearSpending]
            let error = "the token service refused the refresh: \(refusal)"
            return clear + retry(error: error, now: now, jitter: jitter, floor: refusal.retryAfterSeconds)
        case .noAnswer(let reason, false):
            // No connection was ever made: the token certainly went nowhere and is sent later.
            return [.clearSpending] + retry(error: "no answer from the token service: \(reason)", now: now, jitter: jitter, floor: nil)
        case .noAnswer(let reason, true):
            // The request may have arrived and the server rotated: the new pair is lost on the way back
            // and the old token spent. Resending it is reuse, which a strict server punishes by revoking
            // the whole token family; the crash window's answer applies: register again. The marker stays.
            return stop(
                reason: "the answer to a token refresh was lost (\(reason)) after the request may have reached the token "
                    + "service; the old refresh token may be spent, and sending it again could make the service revoke "
                    + "the whole token family, so it is never resent", actions: [])
        }
    }

    private mutating func retry(error: String, now: Timestamp, jitter: Double, floor: Double?) -> [Action] {
        attempts += 1
        lastError = error
        let at = now.adding(seconds: backoffSeconds(attempt: attempts, jitter: jitter, floor: floor))
        phase = .retrying(at)
        return [.armTimer(at: at), .recordStatus, .answerWaiters, .announce(.retrying(at: at, attempts: attempts, error: error))]
    }

    private mutating func stop(reason: String, actions: [Action]) -> [Action] {
        phase = .needsRegistration(reason: reason)
        lastError = reason
        return actions + [.cancelTimer, .recordStatus, .answerWaiters, .announce(.needsRegistration(reason: reason))]
    }

    // MARK: Arithmetic

    func refreshDue(for tokens: StoredTokens) -> Timestamp {
        tokens.receivedAt.adding(seconds: max(0, tokens.lifetimeSeconds) * settings.refreshAtFraction)
    }

    /// `expiryMarginSeconds`, but at most half the time between the scheduled refresh and the expiry:
    /// a token living less than the margin (seconds, on a test tenant) must still be usable.
    func expiryMargin(for tokens: StoredTokens) -> Double {
        min(settings.expiryMarginSeconds, max(0, tokens.lifetimeSeconds) * (1 - settings.refreshAtFraction) / 2)
    }

    /// Full jitter: uniform in [0, cap], cap = min(max, base · 2^(attempt-1)); then the floors.
    public func backoffSeconds(attempt: Int, jitter: Double, floor: Double?) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 30))
        let cap = min(settings.retryMaxSeconds, settings.retryBaseSeconds * pow2(exponent))
        let drawn = min(max(jitter, 0), 1) * cap
        return max(drawn, settings.retryMinimumSeconds, floor ?? 0)
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
