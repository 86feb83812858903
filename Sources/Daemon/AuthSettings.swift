import Config
import DeviceAuth
import SpoolbridgeCore

/// Maps the daemon's configuration onto `DeviceAuth.Configuration`. `[auth]` does not exist yet:
/// until it does, the defaults of issue 9 apply. This is the one place to point at it.
public enum AuthSettings {
    public static func configuration(for daemon: DaemonConfiguration, mode: DeviceAuth.Mode = .deviceToken) -> DeviceAuth.Configuration {
        DeviceAuth.Configuration(
            mode: mode, stateDirectory: stateDirectory(spool: daemon.spool.directory),
            oauthURL: defaultOAuthURL(cloudURL: daemon.cloud.url))
    }

    /// `<spool>/auth`.
    public static func stateDirectory(spool: String) -> String {
        DeviceAuth.Configuration.defaultStateDirectory(spool: spool)
    }

    public static func defaultOAuthURL(cloudURL: String) -> String {
        DeviceAuth.Configuration.defaultOAuthURL(cloudURL: cloudURL)
    }
}
