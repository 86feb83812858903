import TOMLKit

/// One TOML table with typed getters whose errors name the dotted key, its line and what is expected.
struct Section {
    let table: TOMLTable
    let path: String
    let reader: TableReader

    func error(_ code: ConfigError.Code, _ key: String, _ message: String) -> ConfigError {
        let dotted = path.isEmpty ? key : "\(path).\(key)"
        return ConfigError(code, file: reader.file, key: dotted, line: reader.lines.line(of: dotted), message)
    }

    func refuseUnknown(_ allowed: Set<String>) throws(ConfigError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw error(.unknownKey, key, "unknown key; expected one of: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw error(.invalidValue, key, "expected a quoted string") }
        return string
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let string = try optionalString(key) else { throw error(.missingKey, key, "this key is required") }
        guard !string.isEmpty else { throw error(.invalidValue, key, "must not be empty") }
        return string
    }

    func string(_ key: String, default fallback: String, oneOf choices: [String]) throws(ConfigError) -> String {
        let value = try optionalString(key) ?? fallback
        guard choices.contains(value) else {
            throw error(.invalidValue, key, "expected one of \(choices.joined(separator: ", ")), got \"\(value)\"")
        }
        return value
    }

    func optionalBool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else { throw error(.invalidValue, key, "expected true or false (unquoted)") }
        return bool
    }

    func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        try optionalBool(key) ?? fallback
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int else { throw error(.invalidValue, key, "expected a whole number (unquoted)") }
        guard range.contains(int) else {
            throw error(.invalidValue, key, "expected \(range.lowerBound)…\(range.upperBound), got \(int)")
        }
        return int
    }

    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>, why: String?) throws(ConfigError) -> Int {
        guard let value = table[key] else { return fallback }
        guard let int = value.int else { throw error(.invalidValue, key, "expected a whole number (unquoted)") }
        guard range.contains(int) else {
            let reason = why.map { " (\($0))" } ?? ""
            throw error(.invalidValue, key, "expected \(range.lowerBound)…\(range.upperBound)\(reason), got \(int)")
        }
        return int
    }

    func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let value = table[key] else { return fallback }
        guard let number = value.double ?? value.int.map(Double.init) else {
            throw error(.invalidValue, key, "expected a number (unquoted)")
        }
        guard range.contains(number) else {
            throw error(.invalidValue, key, "expected \(range.lowerBound)…\(range.upperBound), got \(number)")
        }
        return number
    }

    /// A number above zero (zero and below are refused, unlike `number`'s closed range), at most `maximum`.
    func positiveNumber(_ key: String, default fallback: Double, atMost maximum: Double) throws(ConfigError) -> Double {
        guard let value = table[key] else { return fallback }
        guard let number = value.double ?? value.int.map(Double.init) else {
            throw error(.invalidValue, key, "expected a number (unquoted)")
        }
        guard number > 0, number <= maximum else {
            throw error(.invalidValue, key, "expected a positive number, at most \(maximum), got \(number)")
        }
        return number
    }

    func optionalPath(_ key: String) throws(ConfigError) -> String? {
        guard let path = try optionalString(key) else { return nil }
        guard path.hasPrefix("/") else { throw error(.invalidValue, key, "expected an absolute path, got \"\(path)\"") }
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    func path(_ key: String, default fallback: String?) throws(ConfigError) -> String {
        if let path = try optionalPath(key) { return path }
        guard let fallback else { throw error(.missingKey, key, "this key is required (an absolute path)") }
        return fallback
    }
}
