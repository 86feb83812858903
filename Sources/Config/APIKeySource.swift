import Foundation
import SpoolbridgeCore

/// Finds the API key without it ever passing through argv or the config file itself. In order:
/// the systemd credential `$CREDENTIALS_DIRECTORY/api-key`, `cloud.api_key_file`, `$SPOOLBRIDGE_API_KEY`.
public enum APIKeySource {
    public struct Loaded: Sendable {
        public var key: Secret
        /// Where it came from (a path or the variable's name; never the value).
        public var origin: String
        /// E.g. a key file readable beyond 0640.
        public var warnings: [String]
    }

    public static func load(
        _ cloud: DaemonConfiguration.Cloud, configFile: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> Loaded {
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/api-key"
            if FileManager.default.fileExists(atPath: path) {
                return try readFile(path, configFile: configFile, checkMode: false)
            }
        }
        if let path = cloud.apiKeyFile {
            return try readFile(path, configFile: configFile, checkMode: true)
        }
        if let value = environment["SPOOLBRIDGE_API_KEY"], !value.isEmpty {
            return Loaded(key: Secret(value), origin: "$SPOOLBRIDGE_API_KEY", warnings: [])
        }
        throw ConfigError(.secret, file: configFile, key: "cloud.api_key_file",
            "no API key: set cloud.api_key_file to a file (mode 0600 or 0640) holding the key, or use the systemd credential api-key")
    }

    private static func readFile(_ path: String, configFile: String, checkMode: Bool) throws(ConfigError) -> Loaded {
        let read = try SecretFile.read(
            path, what: "the API key file", key: "cloud.api_key_file", configFile: configFile, checkMode: checkMode)
        return Loaded(key: read.secret, origin: read.origin, warnings: read.warnings)
    }
}
