import SpoolbridgeCore
import TOMLKit

/// Reads and validates `spoolbridge.toml`. Unknown keys are refused too: a typo that silently
/// falls back to a default is how documents end up on the wrong port.
public enum ConfigurationLoader {
    public static func load(path: String) throws(ConfigError) -> DaemonConfiguration {
        try parse(try text(ofConfigurationAt: path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonConfiguration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(.syntax, file: file, line: error.source.begin.line, "not valid TOML: \(error.description)")
        } catch {
            throw ConfigError(.syntax, file: file, "not valid TOML: \(error)")
        }
        let reader = TableReader(file: file, lines: TOMLLineIndex(text))
        return try reader.configuration(from: table)
    }

    /// The file's text; every failure is a sentence naming the file and the fix.
    static func text(ofConfigurationAt path: String) throws(ConfigError) -> String {
        let bytes: [UInt8]
        switch FileBytes.read(path) {
        case .success(let read): bytes = read
        case .failure(let failure): throw unreadable(path, failure)
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        guard let bad = InvalidUTF8Location(in: bytes) else { return String(decoding: bytes, as: UTF8.self) }
        throw ConfigError(.encoding, file: path, line: bad.line, """
            the file is not UTF-8: byte \(bad.byteHex) at line \(bad.line), column \(bad.column) (offset \(bad.offset)) \
            is not valid UTF-8; save the file as UTF-8 (a Latin-1 file converts with: iconv -f latin1 -t utf-8)
            """)
    }

    private static func unreadable(_ path: String, _ failure: FileBytes.Failure) -> ConfigError {
        let message: String
        switch failure.errno {
        case EISDIR:
            message = "is a directory, not the configuration file; pass the file itself, e.g. --config \(path.hasSuffix("/") ? path : path + "/")spoolbridge.toml"
        case ENOENT:
            message = "no such file; create it (Docs/configuration.md has an example) or pass the right one with --config PATH"
        case ENOTDIR:
            message = "a part of this path is a file, not a directory; pass the configuration file's path with --config PATH"
        case EACCES, EPERM:
            message = "permission denied; make it readable by the user running spoolbridge (or run the command as root)"
        default:
            message = "cannot read the configuration: \(failure.reason)"
        }
        return ConfigError(.unreadable, file: path, message)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
