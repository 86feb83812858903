import CloudAPI
import Config
import DeviceAuth
import Logging
import SpoolbridgeCore

/// The daemon's side of device and user tokens: a started `TokenRefresher` for `CloudClient` when
/// `[auth] mode` asks for tokens. With nothing stored it still starts: every call is then refused
/// as unauthorized (delivery holds, nothing fails), health says what to run, and the refresher takes
/// the tokens of a registration the CLI stores later, without a restart.
public struct DeviceAuthService: Sendable {
    public let refresher: TokenRefresher
    let oauth: OAuthClient

    /// nil with `mode = "api-key"` (a stored pair is then ignored). `observer` sees every state change
    /// (the health document, the `STATUS=` line, delivery's probe).
    public static func start(
        configuration: DaemonConfiguration, configFile: String, apiKey: Secret, logger: Logger,
        observer: TokenRefresher.Observer? = nil
    ) async throws -> DeviceAuthService? {
        guard let auth = AuthSettings.configuration(for: configuration) else {
            if let stored = try? TokenStore(directory: configuration.auth.stateDirectory).load(), stored.tokens != nil {
                logger.notice("[auth] mode is api-key: the token pair stored in \(configuration.auth.stateDirectory) is not used")
            }
            return nil
        }
        if auth.mode == .userToken {
            // The daemon refreshes with the stored pair; the password is `spoolbridge login`'s. Warn
            // about a readable password file now, not when somebody next logs in.
            for warning in try PasswordSource.load(configuration.auth, configFile: configFile)?.warnings ?? [] {
                logger.warning("\(warning)")
            }
        }
        let store = TokenStore(directory: auth.stateDirectory)
        let stored = try store.load()
        if let stored, stored.tokens != nil, stored.mode != auth.mode {
            logger.warning("""
                [auth] mode is \(auth.mode.rawValue) but the stored tokens are \(stored.mode.rawValue) tokens: using them \
                until they are replaced (\(auth.mode == .userToken ? "spoolbridge login" : "spoolbridge device register"))
                """)
        }
        let oauth = try OAuthClient(configuration: .init(
            oauthURL: auth.oauthURL, apiURL: configuration.cloud.url, apiKey: apiKey, caFile: configuration.cloud.caFile,
            allowInsecureHTTP: configuration.cloud.allowInsecureHTTP))
        let refresher = TokenRefresher(
            store: store, service: oauth, settings: .init(expectedMode: auth.mode), waitSeconds: auth.tokenWaitSeconds,
            logger: logger.with(label: "auth"), observer: observer)
        do {
            try refresher.start()
        } catch {
            try? await oauth.shutdown()
            throw error
        }
        logger.notice("bearer tokens on (\(auth.mode.rawValue), state in \(auth.stateDirectory)): \(refresher.status.summary)")
        return DeviceAuthService(refresher: refresher, oauth: oauth)
    }

    /// After the refresh in flight (if any) has stored its answer.
    public func shutdown() async {
        await refresher.shutdown()
        try? await oauth.shutdown()
    }
}
