#if canImport(Glibc)
import Glibc
#endif

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`, in its own temporary directory.
final class NotifySocketReceiver {
    let directory: String
    let path: String
    private let fd: Int32

    init() throws {
        var template = Array("/tmp/spoolbridge-notify-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw ReceiverError(step: "mkdtemp", code: errno) }
        directory = String(cString: created)
        path = directory + "/notify"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError(step: "socket", code: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw ReceiverError(step: "bind", code: errno) }
    }

    deinit {
        close(fd)
        unlink(path)
        rmdir(directory)
    }

    /// Every datagram waiting right now, without blocking.
    func drain() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard count >= 0 else { return messages }
            messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
        }
    }

    /// Collects datagrams until `done` holds for everything received so far, polling every few
    /// milliseconds up to the deadline. Returns what was received either way.
    func collect(
        timeout: Duration = .seconds(5), until done: ([String]) -> Bool
    ) async -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var received: [String] = []
        while true {
            received += drain()
            if done(received) || clock.now >= deadline { return received }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

struct ReceiverError: Error, CustomStringConvertible {
    let step: String
    let code: Int32
    var description: String { "test notify socket: \(step) failed with errno \(code)" }
}

/// Sets environment variables for the duration of `body` and restores the previous values after.
func withEnvironment<T>(_ values: [String: String?], _ body: () async throws -> T) async rethrows -> T {
    var previous: [String: String?] = [:]
    for (name, value) in values {
        previous[name] = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in previous {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try await body()
}
