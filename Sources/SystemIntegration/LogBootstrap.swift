import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Chooses the log destination once, at start-up.
public enum LogBootstrap {
    /// Native journal entries when stderr is connected to the journal (started by systemd), a plain stderr
    /// line otherwise. Call once per process, before the first `Logger` is made (swift-log's rule).
    public static func bootstrap(level: Logger.Level) {
        let useJournal = isStderrJournal()
        LogLevelControl.shared.level = level  // changed later by a reload
        LoggingSystem.bootstrap { label in
            if useJournal { return JournalLogHandler(label: label) }
            return StderrLogHandler(label: label)
        }
    }

    /// True when `JOURNAL_STREAM` names the very file stderr is: systemd sets the variable for the service,
    /// but a child whose stderr was redirected inherits it too, so the variable alone proves nothing.
    public static func isStderrJournal() -> Bool {
        guard let raw = getenv("JOURNAL_STREAM") else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return journalStream(String(cString: raw), matchesDevice: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// `JOURNAL_STREAM` is `"<device>:<inode>"` in decimal.
    static func journalStream(_ value: String, matchesDevice device: UInt64, inode: UInt64) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let streamDevice = UInt64(parts[0]), let streamInode = UInt64(parts[1]) else {
            return false
        }
        return streamDevice == device && streamInode == inode
    }
}
