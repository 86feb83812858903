import Foundation
import SpoolbridgeCore

/// Finds the password for `auth.mode = "user-token"` without it passing through argv or the config
/// file: the systemd credential `$CREDENTIALS_DIRECTORY/password`, else `auth.password_file` (or the
/// file `spoolbridge login --password-file` names). Nil when neither is there.
public enum PasswordSource {
    public static func load(
        _ auth: DaemonConfiguration.Auth, configFile: String, passwordFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> SecretFile.Loaded? {
        if let path = passwordFile ?? auth.passwordFile {
            return try SecretFile.read(
                path, what: "the password file", key: "auth.password_file", configFile: configFile, trimming: .finalLineBreak)
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
           FileManager.default.fileExists(atPath: directory + "/password") {
            // systemd made the credential private to this service: its mode says nothing useful.
            return try SecretFile.read(
                directory + "/password", what: "the systemd credential password", key: "auth.password_file",
                configFile: configFile, trimming: .finalLineBreak, checkMode: false)
        }
        return nil
    }
}
