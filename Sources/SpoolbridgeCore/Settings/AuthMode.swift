/// How spoolbridge authenticates to the cloud (`[auth] mode`): the config chooses it, the daemon
/// builds its token source from it, health reports it.
public enum AuthMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `X-Api-Key` only; the tenant allows untrusted endpoints.
    case apiKey = "api-key"
    /// `Authorization: Bearer` with a token the device registered for (`spoolbridge device register`).
    case deviceToken = "device-token"
    /// `Authorization: Bearer` with a user's token pair (`spoolbridge login`).
    case userToken = "user-token"

    public var description: String { rawValue }

    /// Whether requests carry a bearer token that must be obtained and refreshed.
    public var usesBearerToken: Bool { self != .apiKey }
}
