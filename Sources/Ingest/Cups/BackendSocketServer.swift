import Foundation
import Logging
import Outbox
import SpoolbridgeCore

/// The listening socket and its threads. Socket I/O blocks, so it runs on threads of its own,
/// never on Swift's cooperative pool: one accept thread, one thread per connection (bounded).
final class BackendSocketServer: @unchecked Sendable {
    private let socketPath: String
    private let listenFD: Int32
    /// The socket file this server created; nil for one systemd passed in (its file is systemd's to keep).
    private let socketIdentity: (dev: UInt64, ino: UInt64)?
    private let makeConnection: @Sendable (Int32, WakePipe) -> BackendConnection
    private let logger: Logger
    private let slots: DispatchSemaphore
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var stopping = false
    private var active: Set<Int32> = []
    private var acceptThreadDone = false
    /// Signalled once by `stop()` and never drained: wakes every connection waiting in poll(2).
    private let stopSignal: WakePipe

    /// Binds and listens. Throws when the directory is missing, the path holds something else,
    /// or another daemon already serves it.
    /// `inheritedFD`: a socket already listening at `socketPath` (socket activation); otherwise the server
    /// binds one itself.
    init(
        socketPath: String, inheritedFD: Int32? = nil, maxConnections: Int, logger: Logger,
        makeConnection: @escaping @Sendable (Int32, WakePipe) -> BackendConnection
    ) throws(BackendSocketError) {
        self.socketPath = socketPath
        self.logger = logger
        self.makeConnection = makeConnection
        self.slots = DispatchSemaphore(value: maxConnections)
        do {
            self.stopSignal = try WakePipe()
        } catch {
            throw BackendSocketError(.system, "cannot set up the CUPS listener: \(error.message)")
        }
        if let inheritedFD {
            (listenFD, socketIdentity) = (inheritedFD, nil)
        } else {
            let (fd, identity) = try Self.listen(at: socketPath)
            (listenFD, socketIdentity) = (fd, identity)
        }
        // Non-blocking: the accept thread waits in poll(2) for a connection or the stop signal, so stopping
        // never needs shutdown(2) on the listening socket, which would break systemd's copy of a passed one.
        _ = fcntl(listenFD, F_SETFL, fcntl(listenFD, F_GETFL) | O_NONBLOCK)
    }

    private static func listen(at path: String) throws(BackendSocketError) -> (Int32, (dev: UInt64, ino: UInt64)) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var info = stat()
        guard stat(directory.isEmpty ? "/" : directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw BackendSocketError(.missingDirectory, "the directory of the CUPS socket \(path) does not exist; create it (the systemd unit's RuntimeDirectory=spoolbridge does) or change [cups] socket")
        }
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw BackendSocketError(.pathOccupied, "\(path) exists and is not a socket; remove it or change [cups] socket")
            }
            guard !UnixSocket.isServed(path) else {
                throw BackendSocketError(.inUse, "another process already listens on \(path); stop it or change [cups] socket")
            }
            unlink(path)  // stale: left by a daemon that did not stop cleanly
        }
        let fd = UnixSocket.makeStreamSocket()
        guard fd >= 0 else { throw BackendSocketError(.system, "cannot create a socket: \(UnixSocket.errorText(errno))") }
        let bindError = UnixSocket.bind(fd, to: path)
        guard bindError == 0 else {
            close(fd)
            throw BackendSocketError(.system, "cannot bind the CUPS socket \(path): \(UnixSocket.errorText(bindError))")
        }
        // 0666: the socket file is not the guard. Every connection's peer uid (SO_PEERCRED) is
        // checked instead, which works whatever user and group the daemon and CUPS run as.
        guard chmod(path, 0o666) == 0, Glibc.listen(fd, 64) == 0, lstat(path, &info) == 0 else {
            let error = errno
            close(fd)
            unlink(path)
            throw BackendSocketError(.system, "cannot listen on the CUPS socket \(path): \(UnixSocket.errorText(error))")
        }
        return (fd, (UInt64(info.st_dev), UInt64(info.st_ino)))
    }

    func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "spoolbridge-cups-accept"
        thread.start()
    }

    private func acceptLoop() {
        defer {
            condition.lock()
            acceptThreadDone = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            slots.wait()
            var waits = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopSignal.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&waits, nfds_t(waits.count), -1)
            if waits[1].revents != 0 || isStopping {
                slots.signal()
                return
            }
            let fd = UnixSocket.accept(listenFD)
            if fd < 0 {
                let error = errno
                slots.signal()
                if isStopping { return }
                if error == EINTR || error == ECONNABORTED || error == EAGAIN || error == EWOULDBLOCK { continue }
                logger.error("accepting CUPS backend connections failed: \(UnixSocket.errorText(error)); retrying in 1 s")
                usleep(1_000_000)
                continue
            }
            condition.lock()
            if stopping {
                condition.unlock()
                close(fd)
                slots.signal()
                return
            }
            active.insert(fd)
            condition.unlock()
            let connection = makeConnection(fd, stopSignal)
            let thread = Thread { [self] in
                connection.serve()
                condition.lock()
                active.remove(fd)
                close(fd)
                condition.broadcast()
                condition.unlock()
                slots.signal()
            }
            thread.name = "spoolbridge-cups-connection"
            thread.start()
        }
    }

    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Stops accepting, gives transfers in flight `drainSeconds` to finish, then cuts the rest off
    /// (their backends exit RETRY; the job-uuid makes the rerun safe). Blocks: call off the pool.
    func stop(drainSeconds: Double) {
        condition.lock()
        stopping = true
        condition.unlock()
        stopSignal.signal()  // wakes the accept thread and every connection waiting in poll(2)
        removeSocketFile()

        condition.lock()
        let deadline = Date(timeIntervalSinceNow: drainSeconds)
        while !active.isEmpty, condition.wait(until: deadline) {}
        if !active.isEmpty {
            logger.warning("cutting off \(active.count) CUPS handoff(s) still in progress; CUPS will retry them")
            for fd in active { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        while !active.isEmpty || !acceptThreadDone {
            if !condition.wait(until: Date(timeIntervalSinceNow: 5)) { break }
        }
        condition.unlock()
        close(listenFD)
    }

    /// Removes the socket file only if it is still ours (a new daemon may already have replaced it).
    private func removeSocketFile() {
        guard let socketIdentity else { return }
        var info = stat()
        if lstat(socketPath, &info) == 0, UInt64(info.st_dev) == socketIdentity.dev, UInt64(info.st_ino) == socketIdentity.ino {
            unlink(socketPath)
        }
    }
}
