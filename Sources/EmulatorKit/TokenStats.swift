/// What the emulated token service did so far (`CloudEmulator.tokenStats()`, `GET /_emulator/oauth`).
/// `CloudEmulator.reset()` leaves it (and every token) alone: a running client keeps its tokens.
public struct TokenStats: Sendable, Codable, Hashable {
    /// `POST /oauth/v1/register` answered with a device code.
    public var registrations = 0
    /// `authorization_pending` answers given.
    public var pendingAnswers = 0
    /// Token pairs handed out, by device code, refresh and login together.
    public var issuedTokenPairs = 0
    /// Successful refreshes (each spent one refresh token).
    public var refreshes = 0
    /// Spent refresh tokens presented again. A client that never resends a spent token keeps this at 0.
    public var refreshTokenReuses = 0
    /// Families revoked, by reuse detection or by `revokeTokens`.
    public var revokedFamilies = 0
    /// `invalid_grant` answers (unknown, spent, revoked or foreign refresh token or device code).
    public var invalidGrants = 0
    /// 401s for a missing, unknown, revoked or expired bearer token.
    public var bearerRejections = 0
    /// `/login` answered with a token pair.
    public var logins = 0
    /// `/login` refused (unknown user or wrong password).
    public var failedLogins = 0

    public init() {}
}

/// One token family: every pair descended from one approved device code or one login.
public struct TokenFamilyInfo: Sendable, Codable, Hashable {
    /// Position in issue order, from 0.
    public var id: Int
    /// The device's client_id, or `api` for a user token.
    public var clientID: String
    /// The user of a `/login` family.
    public var userID: String?
    public var issuedPairs: Int
    /// Why the family was revoked; nil while it lives.
    public var revokedBecause: String?

    public var isRevoked: Bool { revokedBecause != nil }
}

/// Compares secrets in time that does not depend on where they differ.
func constantTimeEquals(_ given: String, _ expected: String) -> Bool {
    let a = Array(given.utf8), b = Array(expected.utf8)
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
    return difference == 0
}
