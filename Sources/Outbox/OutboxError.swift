import SpoolbridgeCore

/// An outbox operation that failed. `code` is stable (scripts and the CUPS backend map it);
/// `message` names the file or job and what to do.
public struct OutboxError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The document is over `spool.max_document_mb`.
        public static let tooLarge = Code(rawValue: "too-large")
        /// The spool's file system is (nearly) full.
        public static let diskFull = Code(rawValue: "disk-full")
        /// Any other file-system error.
        public static let io = Code(rawValue: "io")
        /// The database could not be opened, migrated or written.
        public static let database = Code(rawValue: "database")
        /// No such job.
        public static let notFound = Code(rawValue: "not-found")
        /// The job is not in a state that allows this.
        public static let invalidState = Code(rawValue: "invalid-state")
        /// Another daemon holds the spool's lock.
        public static let locked = Code(rawValue: "locked")
        /// The outbox was never created, or was created by another version of spoolbridge.
        public static let notInitialized = Code(rawValue: "not-initialized")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// An errno from a file operation, phrased for the admin.
    static func posix(_ errno: Int32, _ operation: String, _ path: String) -> OutboxError {
        let reason = String(cString: strerror(errno))
        if errno == ENOSPC || errno == EDQUOT {
            return OutboxError(.diskFull, "\(operation) \(path): \(reason); free space on the spool's file system")
        }
        return OutboxError(.io, "\(operation) \(path): \(reason)")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
