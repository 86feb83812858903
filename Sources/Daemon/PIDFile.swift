import Foundation
import Outbox
#if canImport(Glibc)
import Glibc
#endif

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
        try Self.write("\(getpid())\n", to: path)
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

    /// Temp file and rename, with POSIX calls: a failure (a full disk above all) is reported with its
    /// errno and the fix, not as a Foundation error code.
    private static func write(_ text: String, to path: String) throws(DaemonError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .pidFile(path, errno) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let writeError = errno
        close(fd)
        guard written == bytes.count else {
            unlink(temporary)
            // A short write without an error only happens when the file system is full.
            throw .pidFile(path, written < 0 ? writeError : ENOSPC)
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw .pidFile(path, error)
        }
    }
}

/// A start-up failure of the daemon itself.
public struct DaemonError: Error, CustomStringConvertible {
    public var code: String
    public var message: String
    public var description: String { message }

    static func pidFile(_ path: String, _ errno: Int32) -> DaemonError {
        let reason = String(cString: strerror(errno))
        let fix = errno == ENOSPC || errno == EDQUOT
            ? "free space on the spool's file system (df -h \(Self.directory(of: path)))"
            : "the spool directory \(Self.directory(of: path)) must be writable by the daemon's user"
        return DaemonError(code: "pid-file", message: "cannot write the pid file \(path): \(reason); \(fix)")
    }

    private static func directory(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    }
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
