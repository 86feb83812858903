import Foundation
import Outbox

/// A start-up failure of the daemon itself.
public struct DaemonError: Error, CustomStringConvertible {
    public var code: String
    public var message: String
    public var description: String { message }
}

/// Nudges the running daemon to look at the outbox now (after `spoolbridge retry`).
public enum DaemonNudge {
    /// Returns false when no daemon runs on this spool.
    @discardableResult
    public static func send(spool: SpoolLayout) -> Bool {
        guard let pid = SpoolLock.holder(spoolDirectory: spool.directory) else { return false }
        return kill(pid, SIGUSR1) == 0
    }

    public static func isRunning(spool: SpoolLayout) -> Bool {
        SpoolLock.holder(spoolDirectory: spool.directory) != nil
    }
}
