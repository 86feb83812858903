#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DaemonConfiguration.Cups {
    /// The directory systemd creates for the socket (`RuntimeDirectory=spoolbridge` in the unit).
    public static let systemdRuntimeDirectory = "/run/spoolbridge"

    /// When the daemon listens for the CUPS backend.
    public enum ListenPolicy: Sendable, Hashable {
        /// `[cups] enabled = false`.
        case off
        /// The file has a `[cups]` section: the socket is wanted, so a missing directory stops the daemon.
        case required
        /// No `[cups]` section: listen where the socket's directory exists, otherwise run with hot folders
        /// only. The minimal configuration must run in a terminal, where nothing creates /run/spoolbridge.
        case whereSocketDirectoryExists
    }

    /// What the daemon does about the CUPS socket on this machine, now.
    public enum ListenDecision: Sendable, Hashable {
        case listen
        case off
        /// Not listening, and that is fine; `notice` is the one line the daemon logs.
        case skip(notice: String)
        /// The socket is required and cannot be set up; `problem` names the path and the fix.
        case cannotListen(problem: String)
    }

    public var listenPolicy: ListenPolicy {
        guard enabled else { return .off }
        return isExplicit ? .required : .whereSocketDirectoryExists
    }

    /// The directory the socket is created in.
    public var socketDirectory: String {
        guard let slash = socketPath.lastIndex(of: "/"), slash != socketPath.startIndex else { return "/" }
        return String(socketPath[..<slash])
    }

    public func listenDecision() -> ListenDecision {
        listenDecision(socketDirectoryExists: Self.isDirectory(socketDirectory))
    }

    public func listenDecision(socketDirectoryExists: Bool) -> ListenDecision {
        switch listenPolicy {
        case .off:
            return .off
        case _ where socketDirectoryExists:
            return .listen
        case .whereSocketDirectoryExists:
            return .skip(notice: "CUPS backend socket not available (no \(socketDirectory)); hot folders only")
        case .required:
            return .cannotListen(problem: """
                the directory \(socketDirectory) of the CUPS socket \(socketPath) does not exist; create it (the \
                systemd unit's RuntimeDirectory=spoolbridge does), change [cups] socket, or set [cups] enabled = false
                """)
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
