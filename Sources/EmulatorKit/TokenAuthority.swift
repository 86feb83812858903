import Foundation
import Synchronization

/// The emulated token service's memory and decisions: device codes, token families, rotation,
/// reuse detection, bearer checks. No I/O: `OAuthEndpoints` turns its verdicts into HTTP answers.
/// One mutex around one `State`; every call is a few dictionary operations.
///
/// A *family* is every token pair descended from one grant (one approved device code or one
/// login). Refreshing spends the refresh token presented and issues a new pair into the family.
/// Presenting a spent refresh token again is *reuse*: counted, and the whole family is revoked,
/// as a strict server does when a refresh token may have been stolen.
final class TokenAuthority: Sendable {
    /// What the mutex guards. Every method runs with the lock held.
    fileprivate struct State {
        var policy: TokenPolicy
        var registrations: [String: Registration] = [:]
        var families: [TokenFamily] = []
        var accessTokens: [String: AccessToken] = [:]
        var refreshTokens: [String: RefreshToken] = [:]
        var counters = TokenStats()
    }

    private let state: Mutex<State>

    init(policy: TokenPolicy) {
        state = Mutex(State(policy: policy))
    }

    // MARK: Grants

    func register(clientID: String, now: ContinuousClock.Instant) -> DeviceCodeIssued {
        state.withLock { $0.register(clientID: clientID, now: now) }
    }

    func exchangeDeviceCode(clientID: String, deviceCode: String, now: ContinuousClock.Instant) throws(OAuthFailure) -> IssuedPair {
        try state.withLock { state throws(OAuthFailure) -> IssuedPair in
            try state.exchangeDeviceCode(clientID: clientID, deviceCode: deviceCode, now: now)
        }
    }

    func refresh(clientID: String, refreshToken: String, now: ContinuousClock.Instant) throws(OAuthFailure) -> IssuedPair {
        try state.withLock { state throws(OAuthFailure) -> IssuedPair in
            try state.refresh(clientID: clientID, refreshToken: refreshToken, now: now)
        }
    }

    /// A user token pair (client_id `api`), or nil for an unknown user or a wrong password.
    func login(userID: String, password: String, now: ContinuousClock.Instant) -> IssuedPair? {
        state.withLock { $0.login(userID: userID, password: password, now: now) }
    }

    // MARK: Bearer

    var requiresBearer: Bool { state.withLock { $0.policy.requireBearer } }
    var loginRequiresBearer: Bool { state.withLock { $0.policy.loginRequiresBearer } }

    /// Nil when `authorization` (the header values) carries a live access token; else why not.
    func bearerProblem(_ authorization: [String], now: ContinuousClock.Instant) -> BearerProblem? {
        state.withLock { state in
            let problem = state.check(authorization, now: now)
            if problem != nil { state.counters.bearerRejections += 1 }
            return problem
        }
    }

    // MARK: Control

    /// Approves the pending registrations of `clientID` (all when nil): their next poll gets tokens,
    /// whatever `pendingAuthorizations` is left. Returns how many were approved.
    func approve(clientID: String?) -> Int {
        state.withLock { $0.approve(clientID: clientID) }
    }

    /// Revokes the live families of `clientID` (all when nil); returns how many.
    func revoke(clientID: String?) -> Int {
        state.withLock { $0.revoke(clientID: clientID) }
    }

    /// Makes every access token issued so far expired now; refresh tokens stay good. Returns how many.
    func expireAccessTokens(now: ContinuousClock.Instant) -> Int {
        state.withLock { state in
            for key in state.accessTokens.keys { state.accessTokens[key]?.expiresAt = now }
            return state.accessTokens.count
        }
    }

    func update(_ change: (inout TokenPolicy) -> Void) {
        state.withLock { change(&$0.policy) }
    }

    func stats() -> TokenStats { state.withLock { $0.counters } }

    func familyInfos() -> [TokenFamilyInfo] {
        state.withLock { state in
            state.families.enumerated().map { index, family in
                TokenFamilyInfo(
                    id: index, clientID: family.clientID, userID: family.userID, issuedPairs: family.issuedPairs,
                    revokedBecause: family.revokedBecause)
            }
        }
    }

    // MARK: Values

    /// 32 random hex digits after `prefix`: unguessable, and long enough for any redaction rule.
    static func randomToken(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }
        return prefix + "-" + bits.map { String(repeating: "0", count: 16 - $0.count) + $0 }.joined()
    }

    /// `expires_in` is whole seconds: a fraction rounds up, so a client never expects a token to outlive its real life by much.
    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}

extension TokenAuthority.State {
    mutating func register(clientID: String, now: ContinuousClock.Instant) -> DeviceCodeIssued {
        let code = TokenAuthority.randomToken(prefix: "emu-dc")
        registrations[code] = Registration(
            clientID: clientID, expiresAt: now.advanced(by: policy.deviceCodeLifetime),
            pendingLeft: policy.pendingAuthorizations, approved: !policy.manualApproval)
        counters.registrations += 1
        return DeviceCodeIssued(
            deviceCode: code, state: TokenAuthority.randomToken(prefix: "emu-state"),
            expiresIn: TokenAuthority.wholeSeconds(policy.deviceCodeLifetime))
    }

    mutating func exchangeDeviceCode(clientID: String, deviceCode: String, now: ContinuousClock.Instant) throws(OAuthFailure) -> IssuedPair {
        guard var registration = registrations[deviceCode] else {
            counters.invalidGrants += 1
            throw .invalidGrant("unknown device_code; register the device again (POST /oauth/v1/register)")
        }
        guard registration.clientID == clientID else {
            counters.invalidGrants += 1
            throw .invalidGrant("the device_code was issued to another client_id")
        }
        guard !registration.used else {
            counters.invalidGrants += 1
            throw .invalidGrant("the device_code was already exchanged for tokens; it is single-use")
        }
        guard now < registration.expiresAt else {
            throw OAuthFailure(status: 400, error: "expired_token", description: "the device_code expired; register again")
        }
        if registration.pendingLeft > 0 || !registration.approved {
            registration.pendingLeft = max(0, registration.pendingLeft - 1)
            registrations[deviceCode] = registration
            counters.pendingAnswers += 1
            throw OAuthFailure(
                status: 400, error: "authorization_pending",
                description: "an administrator has not approved this device yet; poll again after a delay")
        }
        registration.used = true
        registrations[deviceCode] = registration
        return issueIntoNewFamily(clientID: clientID, userID: nil, now: now)
    }

    mutating func refresh(clientID: String, refreshToken: String, now: ContinuousClock.Instant) throws(OAuthFailure) -> IssuedPair {
        guard var token = refreshTokens[refreshToken] else {
            counters.invalidGrants += 1
            throw .invalidGrant("unknown refresh_token")
        }
        let family = token.family
        if token.spent {
            counters.refreshTokenReuses += 1
            counters.invalidGrants += 1
            revoke(family: family, because: "a spent refresh token was presented again (reuse detected)")
            throw .invalidGrant("refresh_token already used; every token of its family is now revoked")
        }
        if let reason = families[family].revokedBecause {
            counters.invalidGrants += 1
            throw .invalidGrant("refresh_token revoked: \(reason)")
        }
        guard families[family].clientID == clientID else {
            counters.invalidGrants += 1
            throw .invalidGrant("the refresh_token was issued to another client_id")
        }
        token.spent = true
        refreshTokens[refreshToken] = token
        counters.refreshes += 1
        return issue(into: family, now: now)
    }

    mutating func login(userID: String, password: String, now: ContinuousClock.Instant) -> IssuedPair? {
        guard let expected = policy.users[userID], constantTimeEquals(password, expected) else {
            counters.failedLogins += 1
            return nil
        }
        counters.logins += 1
        return issueIntoNewFamily(clientID: TokenPolicy.userClientID, userID: userID, now: now)
    }

    func check(_ authorization: [String], now: ContinuousClock.Instant) -> BearerProblem? {
        guard let header = authorization.first else {
            return .missing("this API key requires Authorization: Bearer <access token> on every call but /login")
        }
        guard authorization.count == 1 else { return .invalid("more than one Authorization header") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .invalid("the Authorization header is not of the form Bearer <token>")
        }
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        guard let token = accessTokens[value] else { return .invalid("unknown access token") }
        if let reason = families[token.family].revokedBecause { return .invalid("access token revoked: \(reason)") }
        guard now < token.expiresAt else { return .invalid("access token expired; refresh it") }
        return nil
    }

    mutating func approve(clientID: String?) -> Int {
        var approved = 0
        for (code, registration) in registrations where !registration.used && (clientID == nil || registration.clientID == clientID) {
            registrations[code]?.approved = true
            registrations[code]?.pendingLeft = 0
            approved += 1
        }
        return approved
    }

    mutating func revoke(clientID: String?) -> Int {
        var revoked = 0
        for family in families.indices where families[family].revokedBecause == nil
            && (clientID == nil || families[family].clientID == clientID)
        {
            revoke(family: family, because: "revoked by the emulator's operator")
            revoked += 1
        }
        return revoked
    }

    private mutating func issueIntoNewFamily(clientID: String, userID: String?, now: ContinuousClock.Instant) -> IssuedPair {
        families.append(TokenFamily(clientID: clientID, userID: userID))
        return issue(into: families.count - 1, now: now)
    }

    private mutating func issue(into family: Int, now: ContinuousClock.Instant) -> IssuedPair {
        let access = TokenAuthority.randomToken(prefix: "emu-at")
        let refresh = TokenAuthority.randomToken(prefix: "emu-rt")
        accessTokens[access] = AccessToken(family: family, expiresAt: now.advanced(by: policy.accessTokenLifetime))
        refreshTokens[refresh] = RefreshToken(family: family)
        families[family].issuedPairs += 1
        counters.issuedTokenPairs += 1
        return IssuedPair(
            accessToken: access, refreshToken: refresh, expiresIn: TokenAuthority.wholeSeconds(policy.accessTokenLifetime))
    }

    private mutating func revoke(family: Int, because reason: String) {
        guard families[family].revokedBecause == nil else { return }
        families[family].revokedBecause = reason
        counters.revokedFamilies += 1
    }
}

private struct Registration {
    var clientID: String
    var expiresAt: ContinuousClock.Instant
    var pendingLeft: Int
    var approved: Bool
    var used = false
}

private struct TokenFamily {
    var clientID: String
    var userID: String?
    var issuedPairs = 0
    var revokedBecause: String?
}

private struct AccessToken {
    var family: Int
    var expiresAt: ContinuousClock.Instant
}

private struct RefreshToken {
    var family: Int
    var spent = false
}
