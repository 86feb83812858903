/// `[card_reader]`: a TCP listener that turns each card id (one per line) into a `/card` call.
public struct CardReaderSettings: Sendable, Hashable {
    /// The address to listen on (an IP address; loopback unless `allow_remote`).
    public var host: String
    public var port: Int
    /// The printer's or reader's address sent as `Mac` with every swipe.
    public var reader: String
    /// The same card again within this time is one swipe (a reader that repeats, an impatient user).
    public var debounce: Duration

    public static let defaultDebounce: Duration = .milliseconds(2000)

    public init(host: String, port: Int, reader: String, debounce: Duration = defaultDebounce) {
        self.host = host
        self.port = port
        self.reader = reader
        self.debounce = debounce
    }
}
