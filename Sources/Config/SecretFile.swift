import Foundation
import SpoolbridgeCore

/// Reads one secret (an API key, a password) from a file, the way every secret file is read: one line
/// of UTF-8, contents never echoed in an error, and a warning when the file is readable beyond 0640
/// (owner read/write, group read), since then other users can read the secret.
public enum SecretFile {
    public struct Loaded: Sendable {
        public var secret: Secret
        /// The path it came from (never the value).
        public var origin: String
        public var warnings: [String]
    }

    /// How the line is cut: an API key loses surrounding blanks; a password keeps them (they may be
    /// part of it) and loses only the final line break.
    public enum Trimming: Sendable {
        case whitespace
        case finalLineBreak
    }

    /// `what` names the secret in messages ("the API key file", "the password file"); `key` is the
    /// setting errors point at (`cloud.api_key_file`, `auth.password_file`).
    public static func read(
        _ path: String, what: String, key: String, configFile: String, trimming: Trimming = .whitespace,
        checkMode: Bool = true
    ) throws(ConfigError) -> Loaded {
        func refused(_ message: String) -> ConfigError { ConfigError(.secret, file: configFile, key: key, message) }
        let bytes: [UInt8]
        switch FileBytes.read(path) {
        case .success(let read): bytes = read
        case .failure(let failure): throw refused(unreadable(path, what: what, key: key, failure))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw refused("\(what) \(path) is not text (UTF-8); it must hold exactly one line: the secret")
        }
        let value: String
        switch trimming {
        case .whitespace:
            value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        case .finalLineBreak:
            var line = Substring(text)
            if line.hasSuffix("\n") { line = line.dropLast() }
            if line.hasSuffix("\r") { line = line.dropLast() }
            value = String(line)
        }
        guard !value.isEmpty, !value.contains(where: \.isNewline) else {
            throw refused("\(what) \(path) must hold exactly one line: the secret")
        }
        let warnings = checkMode ? modeWarning(path, what: what).map { [$0] } ?? [] : []
        return Loaded(secret: Secret(value), origin: path, warnings: warnings)
    }

    /// A warning when `path` is readable (or writable) beyond 0640; nil when it is not, or cannot be stat'ed.
    public static func modeWarning(_ path: String, what: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o037 != 0 else { return nil }
        return "\(what) \(path) has mode \(String(info.st_mode & 0o777, radix: 8)), readable beyond 0640; make it 0600 or 0640 (chmod 0640 \(path))"
    }

    private static func unreadable(_ path: String, what: String, key: String, _ failure: FileBytes.Failure) -> String {
        switch failure.errno {
        case EISDIR:
            "\(what) \(path) is a directory; point \(key) at the file that holds the secret"
        case ENOENT:
            "\(what) \(path) does not exist; create it (install -m 0600 /dev/null \(path)) and put the secret in it"
        case EACCES, EPERM:
            "cannot read \(what) \(path): permission denied; it must be readable by the user running spoolbridge (e.g. root:spoolbridge, mode 0640)"
        default:
            "cannot read \(what) \(path): \(failure.reason)"
        }
    }
}
