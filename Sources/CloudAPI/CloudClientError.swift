/// A problem with the cloud client's own settings, found before any request is sent.
/// Delivery failures (the cloud's answers, network trouble) are `DeliveryFailure`s instead.
public struct CloudClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for scripts and tests; the message is for people.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `cloud.url` is not an http(s) URL with a host.
        public static let invalidURL = Code(rawValue: "invalid-url")
        /// Plain http:// to a host other than loopback without `cloud.allow_insecure_http`.
        public static let insecureURL = Code(rawValue: "insecure-url")
        /// `cloud.ca_file` cannot be read or holds no PEM certificate.
        public static let caFileUnreadable = Code(rawValue: "ca-file-unreadable")
        /// The API key is empty or holds characters an HTTP header cannot carry.
        public static let invalidAPIKey = Code(rawValue: "invalid-api-key")
        /// A limit (connections, timeouts) is zero or negative.
        public static let invalidLimit = Code(rawValue: "invalid-limit")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code)]" }
}
