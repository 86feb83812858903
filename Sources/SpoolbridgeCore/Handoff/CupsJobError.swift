/// Why the backend cannot hand a job over, decided before any byte is sent.
public struct CupsJobError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// argv[1] is not a job number.
        case badJobID = "bad-job-id"
        /// argv[4] is not a positive number of copies.
        case badCopies = "bad-copies"
        /// An option in argv[5] has a value that cannot be mapped.
        case badOption = "bad-option"
        /// The device URI names no input port (a queue configuration error).
        case badDeviceURI = "bad-device-uri"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// A bad job is cancelled; a bad queue keeps its jobs until the admin fixes the device URI.
    public var disposition: HandoffDisposition {
        code == .badDeviceURI ? .retry : .cancel
    }

    public var description: String { message }
}
