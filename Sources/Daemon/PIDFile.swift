import Foundation
import Outbox

/// `spool/spoolbridge.pid`: lets the CLI nudge the running daemon (SIGUSR1 after `retry`) and
/// refuses a second daemon on the same spool.
struct PIDFile {
    let path: String

    init(spool: SpoolLayout) throws {
        path = spool.directory + "/spoolbridge.pid"
        if let running = Self.runningDaemon(spool: spool), running != getpid() {
            throw DaemonError(code: "already-running",
                              message: "another spoolbridge (pid \(running)) is using the spool \(spool.directory); stop it first")
        }
        try "\(getpid())\n".write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() {
        unlink(path)
    }

    /// The pid of the daemon using this spool, if one is alive.
    static func runningDaemon(spool: SpoolLayout) -> pid_t? {
        guard let text = try? String(contentsOfFile: spool.directory + "/spoolbridge.pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }
}

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
        guard let pid = PIDFile.runningDaemon(spool: spool) else { return false }
        return kill(pid, SIGUSR1) == 0
    }

    public static func isRunning(spool: SpoolLayout) -> Bool {
        PIDFile.runningDaemon(spool: spool) != nil
    }
}
