/// The CUPS socket could not be set up. The message names the path and the fix.
public struct BackendSocketError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The socket's directory does not exist.
        public static let missingDirectory = Code(rawValue: "missing-directory")
        /// Something that is not a socket sits at the socket path.
        public static let pathOccupied = Code(rawValue: "path-occupied")
        /// Another process already serves that socket.
        public static let inUse = Code(rawValue: "in-use")
        /// socket/bind/listen failed.
        public static let system = Code(rawValue: "system")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
