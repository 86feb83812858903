import SpoolbridgeCore

/// Where `CloudClient` gets the `Authorization: Bearer` token for every request, when the tenant
/// requires one. Implemented by `DeviceAuth`'s refresher; `CloudAPI` knows nothing of how tokens
/// are stored or refreshed.
public protocol BearerTokenSource: Sendable {
    /// The access token to send now. May wait (bounded) for a refresh already in flight rather than
    /// starting one per request.
    func currentAccessToken() async -> BearerTokenAnswer

    /// A request sent with `token` was answered 401. The source refreshes (once, however many
    /// requests report the same token) and answers whether a different token is now current.
    func accessTokenWasRejected(_ token: Secret) async -> Bool
}

public enum BearerTokenAnswer: Sendable, Hashable {
    case token(Secret)
    /// No usable token; `reason` tells the admin what to do (e.g. run `spoolbridge device register`).
    case unavailable(reason: String)
}
