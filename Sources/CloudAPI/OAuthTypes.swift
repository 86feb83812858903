import SpoolbridgeCore

/// An access and refresh token pair, as the OAuth service (or `/login`) hands it out.
/// Both values are `Secret`s: they print as `<redacted>`.
public struct OAuthTokens: Sendable, Hashable {
    public var accessToken: Secret
    public var refreshToken: Secret
    /// The access token's lifetime from the answer's `expires_in`.
    public var expiresInSeconds: Double

    public init(accessToken: Secret, refreshToken: Secret, expiresInSeconds: Double) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresInSeconds = expiresInSeconds
    }
}

/// The answer to `POST /oauth/v1/register`: the code to exchange once an administrator approved.
public struct DeviceCodeGrant: Sendable, Hashable {
    public var deviceCode: Secret
    public var state: String?
    public var expiresInSeconds: Double

    public init(deviceCode: Secret, state: String?, expiresInSeconds: Double) {
        self.deviceCode = deviceCode
        self.state = state
        self.expiresInSeconds = expiresInSeconds
    }
}

/// The server answered, and not with tokens. A 4xx rotated nothing: the refresh token sent is still
/// good unless `isInvalidGrant`. A 2xx (`invalid_response`: no readable tokens) did rotate, and a 5xx
/// may come from a proxy whose upstream did: the token sent may be spent.
public struct OAuthRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The OAuth `error` (`invalid_grant`, `authorization_pending`…), or `http_<status>` when the body had none.
    public var error: String
    public var errorDescription: String?
    public var httpStatus: Int
    public var retryAfterSeconds: Double?

    public init(error: String, errorDescription: String? = nil, httpStatus: Int, retryAfterSeconds: Double? = nil) {
        self.error = error
        self.errorDescription = errorDescription
        self.httpStatus = httpStatus
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The grant (refresh token, device code) is dead: only a new registration helps.
    public var isInvalidGrant: Bool { error == "invalid_grant" || error == "invalid_client" || error == "expired_token" }
    public var isPending: Bool { error == "authorization_pending" || error == "slow_down" }

    public var description: String {
        "HTTP \(httpStatus) \(error)" + (errorDescription.map { ": \($0)" } ?? "")
    }
}

/// What a token request (device code, refresh, login) came to.
public enum TokenGrantResult: Sendable, Hashable {
    case tokens(OAuthTokens)
    case refused(OAuthRefusal)
    /// No answer. `requestMayHaveArrived` is false only when no connection was ever made (refused,
    /// connect timeout, DNS): then a refresh token sent is certainly not spent.
    case noAnswer(reason: String, requestMayHaveArrived: Bool)
}

/// `register` failed: the message names what to check; it never holds the API key.
public struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
