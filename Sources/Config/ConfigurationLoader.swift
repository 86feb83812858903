import Foundation
import SpoolbridgeCore
import TOMLKit

/// Reads and validates `spoolbridge.toml`. Unknown keys are refused too: a typo that silently
/// falls back to a default is how documents end up on the wrong port.
public enum ConfigurationLoader {
    public static func load(path: String) throws(ConfigError) -> DaemonConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(.unreadable, file: path, "cannot read the configuration: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
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
}
