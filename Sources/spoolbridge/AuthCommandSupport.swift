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
    /// `mode`: the one a command needs whatever `[auth] mode` says; nil takes `[auth] mode` (device
    /// tokens when that is `api-key`).
    static func load(_ options: ConfigOption, mode: DeviceAuth.Mode? = nil, needsKey: Bool) throws -> AuthContext {
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
        let chosen = mode ?? DeviceAuth.Mode(configuration.auth.mode) ?? .deviceToken
        return AuthContext(
            configuration: configuration, auth: AuthSettings.configuration(for: configuration, mode: chosen), apiKey: key,
            configurationFile: options.config)
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

    /// Whether the daemon will use the new pair by itself, or `[auth] mode` must be set first.
    func afterRegistrationHint() -> String {
        guard configuration.auth.mode.usesBearerToken else {
            return "[auth] mode is \"api-key\" in \(configurationFile): the daemon does not use these tokens until you set "
                + "mode = \"\(auth.mode.rawValue)\" there and restart it (systemctl restart spoolbridge)."
        }
        return "A running daemon takes the new tokens by itself (at its next try; jobs held for want of a token then go out)."
    }

    var configurationFile: String
}

/// The token state as the CLI sees it: read from the store, never refreshed, never a token shown.
enum StoredAuth {
    /// For `status` and `status --json`: `.apiKey` in api-key mode; else the stored state, or
    /// `.unknown` when the state file cannot be read (`problem` says why).
    static func health(_ configuration: DaemonConfiguration) -> (health: AuthHealth, status: RefreshStatus?, problem: String?) {
        guard let mode = DeviceAuth.Mode(configuration.auth.mode) else { return (.apiKey, nil, nil) }
        do {
            let status = RefreshStatus(stored: try TokenStore(directory: configuration.auth.stateDirectory).load(), expectedMode: mode)
            return (status.authHealth(mode: configuration.auth.mode), status, nil)
        } catch {
            return (.unknown(mode: configuration.auth.mode), nil, error.description)
        }
    }
}
