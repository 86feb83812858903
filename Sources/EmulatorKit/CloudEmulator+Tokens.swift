/// Reading and steering the token service from tests (the same as `/_emulator/oauth…` over HTTP).
extension CloudEmulator {
    /// Counters of the token service: registrations, pending answers, pairs issued, refreshes,
    /// reuse detections, revoked families, 401s, logins.
    public func tokenStats() -> TokenStats {
        tokens.stats()
    }

    /// Spent refresh tokens presented again. A client that never resends a spent token keeps this at 0.
    public var refreshTokenReuseCount: Int { tokens.stats().refreshTokenReuses }

    /// Token pairs handed out so far (device code, refresh and login together).
    public var issuedTokenCount: Int { tokens.stats().issuedTokenPairs }

    /// Every token family in issue order, revoked ones with the reason.
    public func tokenFamilies() -> [TokenFamilyInfo] {
        tokens.familyInfos()
    }

    /// Approves the unused device codes of `clientID` (all when nil): the next poll of each gets tokens.
    /// Returns how many were approved.
    @discardableResult
    public func approveDevices(clientID: String? = nil) -> Int {
        tokens.approve(clientID: clientID)
    }

    /// Revokes the live token families of `clientID` (all when nil; user tokens have client_id `api`):
    /// their access tokens get 401 and their refresh tokens `invalid_grant`. Returns how many.
    @discardableResult
    public func revokeTokens(clientID: String? = nil) -> Int {
        tokens.revoke(clientID: clientID)
    }

    /// Expires every access token issued so far, now (a 401 when `requireBearer`); refresh tokens
    /// stay good, so a refresh recovers. Returns how many.
    @discardableResult
    public func expireAccessTokens() -> Int {
        tokens.expireAccessTokens(now: .now)
    }

    /// Switches the bearer requirement of `/api/v1` (all but `/login`) at run time.
    public func setRequireBearer(_ required: Bool) {
        tokens.update { $0.requireBearer = required }
    }

    /// The token counters once `condition` holds; throws `EmulatorError` (`emulator.timeout`) at the deadline.
    public func waitForTokenStats(timeout: Duration, until condition: (TokenStats) -> Bool) async throws -> TokenStats {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let stats = tokens.stats()
            if condition(stats) { return stats }
            if clock.now >= deadline {
                throw EmulatorError(
                    code: "emulator.timeout",
                    message: "waited \(timeout) for a token-service condition that never held; last counters: \(stats)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
