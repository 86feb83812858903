/// A credential (API key, token). Its description never shows the value, so a secret that
/// slips into a log line, an error or `dump` prints as `<redacted>`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The value, for the one place that must send it (an HTTP header).
    public let exposedValue: String

    public init(_ value: String) {
        self.exposedValue = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    /// `dump` and other mirrors see no children, so a dumped token pair shows no value either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
