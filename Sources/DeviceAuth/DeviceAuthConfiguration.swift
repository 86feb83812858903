import SpoolbridgeCore

/// Namespace of the device and user token support (issue 9). `CloudAPI` asks a `BearerTokenSource`
/// for tokens; this target owns registration, the token store and the refresher behind it.
public enum DeviceAuth {
    /// Which bearer token the daemon sends beside `X-Api-Key`.
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        /// `POST /oauth/v1/register` + device code: the device's own token (the usual choice).
        case deviceToken = "device-token"
        /// `POST /api/v1/login` as a user; refreshed with client_id `api`.
        case userToken = "user-token"

        /// The `client_id` a refresh sends for this mode: the stored device id, or `api` for user tokens.
        func refreshClientID(deviceID: String) -> String {
            self == .userToken ? "api" : deviceID
        }

        /// The token modes of `[auth] mode`; nil for `api-key`, which needs no token. (`AuthMode` is
        /// the config's and health's word; this one is stored in `state.json`, so it stays its own.)
        public init?(_ mode: AuthMode) {
            switch mode {
            case .apiKey: return nil
            case .deviceToken: self = .deviceToken
            case .userToken: self = .userToken
            }
        }

        public var authMode: AuthMode { self == .userToken ? .userToken : .deviceToken }
    }

    /// Where the device's `client_id` comes from.
    public enum ClientIDSource: Sendable, Hashable {
        /// Generated once and kept in the state file (the default): stable across restarts and upgrades.
        case generated
        /// A fixed id chosen by the admin (e.g. the host name); it must be unique in the tenant.
        case fixed(String)
    }

    /// Plain settings, independent of the config file (the daemon maps `[auth]` onto it).
    public struct Configuration: Sendable, Hashable {
        public var mode: Mode
        /// The folder holding `state.json` (mode 0700), e.g. `<spool>/auth`.
        public var stateDirectory: String
        /// e.g. `https://print.example.com/oauth/v1` (443 on the cloud, 7400 on a gateway).
        public var oauthURL: String
        public var clientIDSource: ClientIDSource
        /// What the cloud's admin UI shows next to the device id when it asks for approval.
        public var deviceDescription: String
        /// How long an upload waits for a refresh already in flight before giving up (bounded wait).
        public var tokenWaitSeconds: Double

        public init(
            mode: Mode, stateDirectory: String, oauthURL: String, clientIDSource: ClientIDSource = .generated,
            deviceDescription: String = "spoolbridge", tokenWaitSeconds: Double = 30
        ) {
            self.mode = mode
            self.stateDirectory = stateDirectory
            self.oauthURL = oauthURL
            self.clientIDSource = clientIDSource
            self.deviceDescription = deviceDescription
            self.tokenWaitSeconds = tokenWaitSeconds
        }

        public var stateFile: String { stateDirectory + "/state.json" }
    }
}
