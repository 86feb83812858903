/// `[card_reader]`: card ids, one per line, from a TCP listener and/or a serial reader, each
/// becoming a `/card` call.
public struct CardReaderSettings: Sendable, Hashable {
    public struct Listen: Sendable, Hashable {
        /// An IP address; loopback unless `allow_remote`.
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public var listen: Listen?
    /// A serial reader's device, e.g. `/dev/ttyUSB0`.
    public var device: String?
    /// The printer's or reader's address sent as `Mac` with every swipe.
    public var reader: String
    /// The same card again within this time is one swipe (a reader that repeats, an impatient user).
    public var debounce: Duration

    public static let defaultDebounce: Duration = .milliseconds(2000)

    public init(listen: Listen?, device: String? = nil, reader: String, debounce: Duration = defaultDebounce) {
        self.listen = listen
        self.device = device
        self.reader = reader
        self.debounce = debounce
    }
}
