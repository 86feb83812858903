import EmulatorKit
import Foundation
import Testing

/// The daemon takes the CUPS socket systemd passes (LISTEN_FDS/LISTEN_PID on fd 3) instead of binding it:
/// a connection made before the daemon runs waits in the socket's backlog and is served, and stopping the
/// daemon leaves the socket (systemd's) in place.
@Suite(.serialized)
struct SocketActivationTests {
    @Test func aPassedSocketIsUsedAndOutlivesTheDaemon() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socketPath = directory.path + "/backend.sock"
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, cupsSection: "[cups]\nsocket = \"\(socketPath)\"", extraConfig: "")
        let listener = try ListeningUnixSocket(path: socketPath)
        defer { listener.close() }

        // Before the daemon runs: the connection is queued by the kernel, as while systemd restarts the service.
        let early = try UnixClient(path: socketPath)
        try early.send("not a handoff header\n")

        let child = try ActivatedProcess(
            executable: Executables.path("spoolbridge"), arguments: ["run", "--config", daemon.configPath],
            listenFD: listener.fd, logPath: daemon.logPath)
        defer { child.terminate() }
        try await waitUntil("the daemon to take the passed socket (log: \(daemon.logPath))") {
            daemon.log.contains("spoolbridge is running")
        }
        #expect(daemon.log.contains("activation=\"passed by systemd\""), "\(daemon.log)")
        let answer = try await offPool { early.readLine() }
        #expect(answer?.isEmpty == false, "the queued connection was served")
        try await waitUntil("the refusal logged") { daemon.log.contains("refused a CUPS backend connection") }

        try await offPool { child.terminate() }
        #expect(child.exitStatus == 0, "\(daemon.log)")
        #expect(fileExists(socketPath), "the socket file is systemd's: the daemon leaves it")
        let later = try UnixClient(path: socketPath)  // still listening: queued for the next start
        later.close()
        early.close()
        try await emulator.shutdown()
    }

    @Test func aPassedSocketAtAnotherPathStopsTheDaemonWithTheReason() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try DaemonProcess(in: directory, cloudURL: "http://127.0.0.1:9",
                                       cupsSection: "[cups]\nsocket = \"\(directory.path)/configured.sock\"", extraConfig: "")
        let listener = try ListeningUnixSocket(path: directory.path + "/other.sock")
        defer { listener.close() }
        let child = try ActivatedProcess(
            executable: Executables.path("spoolbridge"), arguments: ["run", "--config", daemon.configPath],
            listenFD: listener.fd, logPath: daemon.logPath)
        let status = try await offPool { child.waitForExit() }
        #expect(status != 0)
        #expect(daemon.log.contains("ListenStream="), "\(daemon.log)")
    }
}

/// A listening Unix stream socket made by the test, standing in for spoolbridge.socket.
struct ListeningUnixSocket {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw HarnessError("bind/listen \(path): errno \(errno)") }
    }

    func close() { _ = Glibc.close(fd) }
}

/// A connected client with a 5 s receive timeout.
struct UnixClient: Sendable {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw HarnessError("connect \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw HarnessError("send: errno \(errno)")
        }
    }

    /// The first line the peer sends, nil on timeout or end of stream.
    func readLine() -> String? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").first.map(String.init)
    }

    func close() { _ = Glibc.close(fd) }
}

func unixAddress(_ path: String) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
    }
    return address
}

/// Starts a process the way systemd does for socket activation: the socket as fd 3, LISTEN_FDS=1 and
/// LISTEN_PID set to the process's own pid (a shell sets it to `$$` and `exec`s, keeping the pid).
final class ActivatedProcess: @unchecked Sendable {
    let pid: pid_t
    private var status: Int32?

    init(executable: String, arguments: [String], listenFD: Int32, logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, listenFD, 3)
        let script = "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\""
        let argv = ["/bin/sh", "-c", script, executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] {
            environment.removeValue(forKey: name)
        }
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let result = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in posix_spawn(&child, "/bin/sh", &actions, nil, cArgv, cEnvp) }
        }
        guard result == 0 else { throw HarnessError("posix_spawn: \(result)") }
        pid = child
    }

    /// SIGTERM, then waits for the exit.
    func terminate() {
        guard status == nil else { return }
        kill(pid, SIGTERM)
        _ = waitForExit()
    }

    @discardableResult
    func waitForExit() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let exit = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        status = exit
        return exit
    }

    var exitStatus: Int32? { status }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
