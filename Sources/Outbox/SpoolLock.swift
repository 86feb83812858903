#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `spool/spoolbridge.lock`: one daemon per spool. An exclusive `flock` taken before the outbox is
/// opened, recovered or written, and held until the process exits (the kernel drops it on any exit,
/// `kill -9` included, so there is never a stale lock to clean up).
///
/// The file is created once and reused: taking the lock needs no free space, so a daemon starts on
/// a full disk. Its content is the holder's pid, for messages and for `spoolbridge retry`'s nudge.
public final class SpoolLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock or throws at once, naming the daemon that holds it. Creates the spool
    /// directory (0700) when it does not exist yet; writes nothing else.
    public static func acquire(spoolDirectory: String) throws(OutboxError) -> SpoolLock {
        let layout = SpoolLayout(directory: spoolDirectory)
        try Durability.makeDirectory(layout.directory, mode: 0o700)
        let fd = open(layout.lockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw OutboxError.posix(errno, "cannot open the spool lock file", layout.lockFile) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = readPID(fd)
            close(fd)
            guard code == EWOULDBLOCK else { throw OutboxError.posix(code, "cannot lock", layout.lockFile) }
            let who = holder.map { "another spoolbridge (pid \($0))" } ?? "another spoolbridge"
            throw OutboxError(
                .locked,
                "\(who) is already running on the spool \(layout.directory); stop it first "
                    + "(systemctl stop spoolbridge), or give this one another [spool] directory")
        }
        // Best effort: the pid is information, the lock is the flock. A full disk may refuse the
        // write of a file that was truncated; the lock holds all the same.
        var text = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = text.withUnsafeMutableBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return SpoolLock(path: layout.lockFile, descriptor: fd)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Lets go at a clean exit; the pid goes with it, so nobody nudges a process that is gone.
    public func release() {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// The pid of the daemon holding this spool's lock, if one is alive. Reads only: never takes the
    /// lock, so it cannot make a starting daemon fail.
    public static func holder(spoolDirectory: String) -> pid_t? {
        let fd = open(SpoolLayout(directory: spoolDirectory).lockFile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let pid = readPID(fd), kill(pid, 0) == 0 || errno == EPERM else { return nil }
        // A pid left by a crash may belong to another program by now.
        return isSpoolbridge(pid) ? pid : nil
    }

    private static func readPID(_ fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).filter { !$0.isWhitespace }
        guard let pid = pid_t(text), pid > 0 else { return nil }
        return pid
    }

    private static func isSpoolbridge(_ pid: pid_t) -> Bool {
        let fd = open("/proc/\(pid)/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }  // no /proc: trust the pid
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return true }
        return String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("spoolbridge")
    }
}
