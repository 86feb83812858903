import Glibc

/// The backend's end of the Unix socket to the daemon: blocking I/O with deadlines.
final class DaemonConnection {
    struct Failure: Error {
        /// `errno`, or 0 when the peer simply closed.
        var code: Int32
        var message: String
    }

    private let fd: Int32
    private var received: [UInt8] = []

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    static func connect(path: String, sendTimeoutSeconds: Int) throws(Failure) -> DaemonConnection {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else {
            throw Failure(code: ENAMETOOLONG, message: "socket path \(path) is empty or longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(code: errno, message: Diagnostics.describe(errno: errno)) }
        let connection = DaemonConnection(fd: fd)
        var timeout = timeval(tv_sec: sendTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            throw Failure(code: code, message: Diagnostics.describe(errno: code))
        }
        return connection
    }

    func send(_ buffer: UnsafeRawBufferPointer) throws(Failure) {
        var offset = 0
        while offset < buffer.count {
            let sent = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                let code = errno
                if code == EINTR { continue }
                throw Failure(code: code, message: code == EAGAIN ? "the daemon stopped reading" : Diagnostics.describe(errno: code))
            }
            offset += sent
        }
    }

    func send(_ bytes: [UInt8]) throws(Failure) {
        do {
            try bytes.withUnsafeBytes { buffer in try send(buffer) }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(code: EIO, message: "\(error)")
        }
    }

    /// Tells the daemon that nothing more follows.
    func finishSending() {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    enum LineResult {
        case line(String)
        case closed
        case timedOut
    }

    /// The next line from the daemon, waiting at most `timeoutSeconds`.
    func readLine(timeoutSeconds: Int) throws(Failure) -> LineResult {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += timeoutSeconds
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = received.firstIndex(of: 0x0A) {
                let line = String(decoding: received[..<newline], as: UTF8.self)
                received.removeSubrange(...newline)
                return .line(line)
            }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let remainingMs = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1_000_000
            guard remainingMs > 0 else { return .timedOut }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remainingMs, Int(Int32.max))))
            if ready < 0 {
                if errno == EINTR { continue }
                throw Failure(code: errno, message: Diagnostics.describe(errno: errno))
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                // A reset after the daemon answered and closed still leaves its answer readable
                // above; a reset with nothing buffered is a closed connection.
                if code == ECONNRESET { return received.isEmpty ? .closed : .line(flushPartialLine()) }
                throw Failure(code: code, message: Diagnostics.describe(errno: code))
            }
            if count == 0 { return received.isEmpty ? .closed : .line(flushPartialLine()) }
            received += chunk[..<count]
            if received.count > 64 * 1024 { return .line(flushPartialLine()) }
        }
    }

    private func flushPartialLine() -> String {
        let line = String(decoding: received, as: UTF8.self)
        received.removeAll()
        return line
    }
}
