import Foundation
import SpoolbridgeCore

/// A stand-in for the daemon's end of the socket that speaks the handoff protocol from a script,
/// so the backend can be tested alone. Records what each connection delivered.
final class FakeDaemon: @unchecked Sendable {
    enum Script: Sendable {
        /// Reads the whole body, then sends these lines.
        case replyAfterBody([String])
        /// Answers right after the header and closes, without reading the body.
        case replyBeforeBody(String)
        /// Reads whatever comes and never answers.
        case silent
    }

    struct Connection: Sendable {
        var header: HandoffHeader?
        var body: [UInt8] = []
        /// The end-of-document frame arrived.
        var complete = false
        /// The backend closed its end (EOF seen).
        var closed = false
    }

    let socketPath: String
    private let listenFD: Int32
    private let script: @Sendable (HandoffHeader) -> Script
    private let lock = NSLock()
    private var recorded: [Connection] = []

    init(socketPath: String, script: @escaping @Sendable (HandoffHeader) -> Script) throws {
        self.socketPath = socketPath
        self.script = script
        unlink(socketPath)
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listenFD, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        chmod(socketPath, 0o666)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit {
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        unlink(socketPath)
    }

    var connections: [Connection] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    private func update(_ index: Int, _ change: (inout Connection) -> Void) {
        lock.lock()
        change(&recorded[index])
        lock.unlock()
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { return }
            lock.lock()
            recorded.append(Connection())
            let index = recorded.count - 1
            lock.unlock()
            Thread.detachNewThread { [self] in
                serve(fd, index)
                close(fd)
            }
        }
    }

    private func serve(_ fd: Int32, _ index: Int) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        func receive() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            received += chunk[..<count]
            return true
        }
        func send(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        while !received.contains(0x0A) {
            guard receive() else { update(index) { $0.closed = true }; return }
        }
        let newline = received.firstIndex(of: 0x0A)!
        guard let header = try? HandoffHeader(decoding: Array(received[..<newline])) else {
            send("ERR bad-header fake daemon could not read the header")
            return
        }
        received.removeSubrange(...newline)
        update(index) { $0.header = header }
        let plan = script(header)
        if case .replyBeforeBody(let line) = plan {
            send(line)
            shutdown(fd, Int32(SHUT_WR))
            return
        }
        var decoder = HandoffBodyDecoder()
        while true {
            if !received.isEmpty {
                var document: [UInt8] = []
                _ = try? received.withUnsafeBytes { bytes in try decoder.consume(bytes) { document += $0 } }
                received.removeAll()
                update(index) { $0.body += document }
            }
            if decoder.isComplete { break }
            guard receive() else {
                update(index) { $0.closed = true }
                return
            }
        }
        update(index) { $0.complete = true }
        if case .replyAfterBody(let lines) = plan {
            for line in lines { send(line) }
        }
        // Wait for the backend to go away, as the real daemon's wait mode does.
        while receive() {}
        update(index) { $0.closed = true }
    }
}

/// A socket file nobody listens on, as a daemon killed with SIGKILL leaves behind.
func leaveStaleSocket(at path: String) {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    close(fd)
}
