/// A configuration the daemon refuses. The description names the file, the key, the line when
/// known, and what is expected, so the admin can fix it without reading the source.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let unreadable = Code(rawValue: "unreadable")
        public static let syntax = Code(rawValue: "syntax")
        /// The file is not UTF-8 (TOML must be).
        public static let encoding = Code(rawValue: "encoding")
        public static let missingKey = Code(rawValue: "missing-key")
        public static let invalidValue = Code(rawValue: "invalid-value")
        public static let unknownKey = Code(rawValue: "unknown-key")
        public static let insecure = Code(rawValue: "insecure")
        public static let secret = Code(rawValue: "secret")
    }

    public var code: Code
    public var file: String
    /// Dotted key, e.g. `cloud.url` or `hotfolder[2].duplex`.
    public var key: String?
    public var line: Int?
    public var message: String

    public init(_ code: Code, file: String, key: String? = nil, line: Int? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let key { return "\(location): \(key): \(message)" }
        return "\(location): \(message)"
    }
}
