import Logging
import Synchronization

/// A last line of defence against secrets in log lines: callers must not log them, but a metadata entry
/// whose key names a credential (`api_key`, `apiKey`, `refresh_token`, `password`, `client_secret`,
/// `authorization`…) has its value replaced by `<redacted>`, also inside nested dictionaries.
enum MetadataRedaction {
    static let placeholder = "<redacted>"

    /// Words that mark a key as holding a credential.
    private static let sensitiveWords: Set<String> = [
        "token", "password", "passwd", "secret", "apikey", "authorization", "credential", "credentials", "cookie",
    ]
    /// Words that make the key describe a credential rather than hold one (`api_key_file`, `token_type`),
    /// so useful facts such as a path stay in the log.
    private static let descriptiveWords: Set<String> = [
        "file", "path", "dir", "directory", "type", "expires", "expiry", "expiration", "age", "count", "length",
    ]

    static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = metadata
        for (key, value) in metadata {
            if isSensitive(key: key) {
                result[key] = .string(placeholder)
            } else if case .dictionary(let nested) = value {
                result[key] = .dictionary(redact(nested))
            }
        }
        return result
    }

    /// Answers per key: a daemon logs the same few keys on every line, and splitting a key into
    /// words costs more than the rest of the line. Bounded, in case keys are ever made up at run time.
    private static let answers = Mutex<[String: Bool]>([:])

    static func isSensitive(key: String) -> Bool {
        if let known = answers.withLock({ $0[key] }) { return known }
        let sensitive = classify(key: key)
        answers.withLock { answers in
            if answers.count < 512 { answers[key] = sensitive }
        }
        return sensitive
    }

    private static func classify(key: String) -> Bool {
        let words = words(of: key)
        if words.contains(where: descriptiveWords.contains) { return false }
        if words.contains(where: sensitiveWords.contains) { return true }
        // "api_key", "x-api-key", "apiKey": the two words side by side.
        return zip(words, words.dropFirst()).contains { $0 == "api" && $1 == "key" }
    }

    /// Splits on non-alphanumerics and on lower→upper camel-case boundaries, lowercased.
    static func words(of key: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasLower = false
        for character in key {
            guard character.isLetter || character.isNumber else {
                if !current.isEmpty { words.append(current.lowercased()) }
                current = ""
                previousWasLower = false
                continue
            }
            if character.isUppercase && previousWasLower {
                words.append(current.lowercased())
                current = ""
            }
            current.append(character)
            previousWasLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return words
    }
}
