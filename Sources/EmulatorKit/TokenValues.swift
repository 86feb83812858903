/// The settings `TokenAuthority` decides by; `CloudEmulator.Configuration` fills them.
struct TokenPolicy: Sendable {
    static let userClientID = "api"

    var requireBearer = false
    var loginRequiresBearer = false
    var accessTokenLifetime: Duration = .seconds(3600)
    var deviceCodeLifetime: Duration = .seconds(259_200)
    var pendingAuthorizations = 0
    var manualApproval = false
    var users: [String: String] = [:]
}

struct DeviceCodeIssued: Sendable, Hashable {
    var deviceCode: String
    var state: String
    var expiresIn: Int
}

struct IssuedPair: Sendable, Hashable {
    var accessToken: String
    var refreshToken: String
    var expiresIn: Int
}

/// An OAuth error answer: `{"error": ..., "error_description": ...}` with this status.
struct OAuthFailure: Error, Sendable, Hashable {
    var status: Int
    var error: String
    var description: String

    static func invalidGrant(_ description: String) -> OAuthFailure {
        OAuthFailure(status: 400, error: "invalid_grant", description: description)
    }

    static func invalidRequest(_ description: String) -> OAuthFailure {
        OAuthFailure(status: 400, error: "invalid_request", description: description)
    }
}

enum BearerProblem: Sendable, Hashable {
    /// No Authorization header at all.
    case missing(String)
    /// One that names no live access token.
    case invalid(String)
}
