/// What CUPS should do with a job the daemon did not take.
public enum HandoffDisposition: String, Sendable, Hashable {
    /// Keep the job; CUPS runs it again after `JobRetryInterval` (backend exit 6).
    case retry
    /// Drop this job only; the queue stays enabled (backend exit 5).
    case cancel
}

/// The reason word of an `ERR` answer. Stable on the wire; the backend maps it to an exit status.
public struct HandoffErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The document is larger than the spool's per-document limit.
    public static let tooLarge = HandoffErrorCode(rawValue: "too-large")
    /// The job has no data.
    public static let emptyDocument = HandoffErrorCode(rawValue: "empty-document")
    /// The header could not be read or misses a required field.
    public static let badHeader = HandoffErrorCode(rawValue: "bad-header")
    /// The body framing was broken (not a truncation: garbage).
    public static let badBody = HandoffErrorCode(rawValue: "bad-body")
    /// The spool is below its free-space floor or the disk is full.
    public static let spoolFull = HandoffErrorCode(rawValue: "spool-full")
    /// The peer's uid is not root, lp or the daemon's own.
    public static let forbidden = HandoffErrorCode(rawValue: "forbidden")
    /// The daemon speaks another protocol version (mid-upgrade).
    public static let unsupportedVersion = HandoffErrorCode(rawValue: "unsupported-version")
    /// The daemon is stopping.
    public static let shuttingDown = HandoffErrorCode(rawValue: "shutting-down")
    /// Anything else that went wrong on the daemon's side (I/O, database).
    public static let internalError = HandoffErrorCode(rawValue: "internal")

    /// Only faults of the job itself cancel it; everything the admin can fix keeps the job for a
    /// retry, and so does any code this version does not know.
    public var disposition: HandoffDisposition {
        switch self {
        case .tooLarge, .emptyDocument, .badHeader, .badBody: .cancel
        default: .retry
        }
    }

    public var description: String { rawValue }
}
