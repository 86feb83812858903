import CloudAPI
import Config
import Daemon
import DeviceAuth
import Foundation
import SpoolbridgeCore

/// What `device` and `login` share: the configuration, the API key and the token service.
struct AuthContext {
    var configuration: DaemonConfiguration
    var auth: DeviceAuth.Configuration
    var apiKey: Secret

    /// Loads the configuration and, with `needsKey`, the API key (warnings to stderr; never the key),
    /// then takes on the spool owner's identity: files written under the spool must stay the daemon's.
    static func load(_ options: ConfigOption, mode: DeviceAuth.Mode = .deviceToken, needsKey: Bool) throws -> AuthContext {
        umask(0o077)
        let configuration = try options.load()
        var key = Secret("")
        if needsKey {
            do {
                let loaded = try APIKeySource.load(configuration.cloud, configFile: options.config)
                for warning in loaded.warnings { FileHandle.standardError.write(Data("spoolbridge: warning: \(warning)\n".utf8)) }
                key = loaded.key
            } catch {
                throw CLIError("\(error)", exitCode: 78)
            }
        }
        // After reading the key (a root-only file), before writing anything under the spool.
        try becomeSpoolOwner(configuration.spool.directory)
        return AuthContext(configuration: configuration, auth: AuthSettings.configuration(for: configuration, mode: mode), apiKey: key)
    }

    func oauthClient() throws -> OAuthClient {
        do {
            return try OAuthClient(configuration: .init(
                oauthURL: auth.oauthURL, apiURL: configuration.cloud.url, apiKey: apiKey, caFile: configuration.cloud.caFile,
                allowInsecureHTTP: configuration.cloud.allowInsecureHTTP))
        } catch {
            throw CLIError("\(error)", exitCode: 78)
        }
    }

    /// Whether the daemon will use the new pair by itself, or must be restarted.
    func afterRegistrationHint() -> String {
        "A running daemon that already uses tokens switches to the new ones by itself; one started without "
            + "tokens uses them after a restart (systemctl restart spoolbridge)."
    }
}
