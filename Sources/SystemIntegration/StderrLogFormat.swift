import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The pure formatting behind `StderrLogHandler`, logfmt-like so lines stay greppable:
/// values with spaces, quotes or `=` are quoted, control characters escaped, one entry per line.
enum StderrLogFormat {
    static func line(
        secondsSinceEpoch: Int, level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata, error: (any Error)?
    ) -> String {
        var line = "\(timestamp(secondsSinceEpoch: secondsSinceEpoch)) \(level.rawValue) \(label): \(escaped(message))"
        let all = LogMetadataMerge.addingError(error, to: metadata)
        for (key, value) in MetadataRedaction.redact(all).sorted(by: { $0.key < $1.key }) {
            line += " \(sanitisedKey(key))=\(formattedValue(JournalEntry.text(of: value)))"
        }
        return line
    }

    /// ISO 8601, UTC, whole seconds: `2026-11-23T16:00:00Z`.
    static func timestamp(secondsSinceEpoch: Int) -> String {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(secondsSinceEpoch)" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(parts.tm_year + 1900)
        return "\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    static func now() -> Int {
        Int(time(nil))
    }

    /// Escapes line breaks and other control characters (tab stays) so one entry is one line.
    static func escaped(_ text: String) -> String {
        escaped(text, insideQuotes: false)
    }

    /// Quotes a value when it would otherwise split the `key=value` list.
    static func formattedValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
            $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x20 || $0.value == 0x7F
        }
        return needsQuotes ? "\"\(escaped(value, insideQuotes: true))\"" : value
    }

    /// Inside quotes, backslash, quote and tab are escaped too, so the value can be read back unambiguously.
    private static func escaped(_ text: String, insideQuotes: Bool) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t" where insideQuotes: result += "\\t"
            case "\\" where insideQuotes: result += "\\\\"
            case "\"" where insideQuotes: result += "\\\""
            case "\t": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Keys never contain separators; anything odd becomes `_`.
    static func sanitisedKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        return String(String.UnicodeScalarView(key.unicodeScalars.map {
            $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x20 || $0.value == 0x7F ? "_" : $0
        }))
    }
}
