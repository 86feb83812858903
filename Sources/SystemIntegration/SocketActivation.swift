import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// The sockets systemd passed to this process (`LISTEN_FDS`, `LISTEN_PID`; socket activation through
/// `spoolbridge.socket`), taken once with `sd_listen_fds(3)`, which also clears the variables so no child
/// inherits them.
public enum SocketActivation {
    /// Why a passed socket cannot be used.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The first passed descriptor (fd 3), or nil when systemd passed none to this process.
    public static func takeListeningSocket() -> Int32? {
        let count = sd_listen_fds(1)
        guard count > 0 else { return nil }
        // Any further descriptors are not ours to use: close them rather than leak them.
        for extra in 1..<count { close(SD_LISTEN_FDS_START + extra) }
        let fd = SD_LISTEN_FDS_START
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// Checks that `fd` is a listening Unix stream socket bound to `path`.
    public static func check(_ fd: Int32, isListeningAt path: String) -> Mismatch? {
        // SOCK_STREAM is 1 on Linux; spelled out because naming Glibc's constant in a file that imports CSystemd
        // makes the release (whole-module) build lose sight of the socket constants in SystemdNotifier.
        let result = path.withCString { sd_is_socket_unix(fd, 1, 1, $0, 0) }
        if result > 0 { return nil }
        return Mismatch(description: """
            the socket systemd passed (spoolbridge.socket) is not a listening Unix socket at \(path) ([cups] socket); \
            make ListenStream= in spoolbridge.socket and [cups] socket name the same path
            """)
    }
}
