import CloudAPI
import Config
import DeviceAuth
import Logging
import SpoolbridgeCore

/// The daemon's side of device and user tokens: a started `TokenRefresher` for `CloudClient`, when
/// the auth state folder holds a token pair (or a dead grant, so delivery holds and says why).
/// Until `[auth] mode` exists, the stored state decides; the lead switches this on from the config.
public struct DeviceAuthService: Sendable {
    public let refresher: TokenRefresher
    let oauth: OAuthClient

    /// nil when nothing is stored (API key only, as before issue 9).
    /// `observer` sees every state change (e.g. for the health document or the `STATUS=` line).
    public static func startIfRegistered(
        configuration: DaemonConfiguration, apiKey: Secret, logger: Logger, observer: TokenRefresher.Observer? = nil
    ) async throws -> DeviceAuthService? {
        let auth = AuthSettings.configuration(for: configuration)
        let store = TokenStore(directory: auth.stateDirectory)
        guard let stored = try store.load(), stored.tokens != nil || stored.needsRegistration != nil else { return nil }
        let oauth = try OAuthClient(configuration: .init(
            oauthURL: auth.oauthURL, apiURL: configuration.cloud.url, apiKey: apiKey, caFile: configuration.cloud.caFile,
            allowInsecureHTTP: configuration.cloud.allowInsecureHTTP))
        let refresher = TokenRefresher(
            store: store, service: oauth, waitSeconds: auth.tokenWaitSeconds, logger: logger.with(label: "auth"),
            observer: observer)
        do {
            try refresher.start()
        } catch {
            try? await oauth.shutdown()
            throw error
        }
        logger.notice("bearer tokens on: \(stored.mode.rawValue) for device \(stored.deviceID); \(refresher.status.summary)")
        return DeviceAuthService(refresher: refresher, oauth: oauth)
    }

    /// After the refresh in flight (if any) has stored its answer.
    public func shutdown() async {
        await refresher.shutdown()
        try? await oauth.shutdown()
    }
}
