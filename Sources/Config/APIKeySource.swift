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
        let bytes: [UInt8]
        switch FileBytes.read(path) {
        case .success(let read): bytes = read
        case .failure(let failure):
            throw ConfigError(.secret, file: configFile, key: "cloud.api_key_file", unreadableKeyFile(path, failure))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(.secret, file: configFile, key: "cloud.api_key_file",
                              "the API key file \(path) is not text (UTF-8); it must hold exactly one line: the key")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty, !key.contains(where: \.isNewline) else {
            throw ConfigError(.secret, file: configFile, key: "cloud.api_key_file",
                              "the API key file \(path) must hold exactly one line: the key")
        }
        var warnings: [String] = []
        // 0640 at most: owner read/write, group read. Anything more lets other users read it.
        var info = stat()
        if checkMode && stat(path, &info) == 0 && info.st_mode & 0o037 != 0 {
            warnings.append("the API key file \(path) has mode \(String(info.st_mode & 0o777, radix: 8)); make it 0600 or 0640 (chmod 0640 \(path))")
        }
        return Loaded(key: Secret(key), origin: path, warnings: warnings)
    }

    private static func unreadableKeyFile(_ path: String, _ failure: FileBytes.Failure) -> String {
        switch failure.errno {
        case EISDIR:
            "the API key file \(path) is a directory; point cloud.api_key_file at the file that holds the key"
        case ENOENT:
            "the API key file \(path) does not exist; create it (install -m 0600 /dev/null \(path)) and put the key in it"
        case EACCES, EPERM:
            "cannot read the API key file \(path): permission denied; it must be readable by the user running spoolbridge (e.g. root:spoolbridge, mode 0640)"
        default:
            "cannot read the API key file \(path): \(failure.reason)"
        }
    }
}
