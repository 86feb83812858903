import Config
import DeviceAuth
import SpoolbridgeCore

/// Maps `[auth]` onto `DeviceAuth.Configuration`: the one place the daemon and the CLI take the token
/// service, the state folder and the mode from.
public enum AuthSettings {
    /// nil with `mode = "api-key"`: no token to keep.
    public static func configuration(for daemon: DaemonConfiguration) -> DeviceAuth.Configuration? {
        DeviceAuth.Mode(daemon.auth.mode).map { configuration(for: daemon, mode: $0) }
    }

    /// For a command that needs one mode whatever `[auth] mode` says (`device register`, `login`).
    public static func configuration(for daemon: DaemonConfiguration, mode: DeviceAuth.Mode) -> DeviceAuth.Configuration {
        DeviceAuth.Configuration(mode: mode, stateDirectory: daemon.auth.stateDirectory, oauthURL: daemon.auth.oauthURL)
    }
}
