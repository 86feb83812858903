#if canImport(Glibc)
import Glibc
#endif

/// Talks to systemd's notification socket (`sd_notify(3)` protocol): readiness, status, stopping and
/// watchdog keep-alives.
///
/// The socket path and watchdog settings are read once, at `init()`, so the value behaves the same for its
/// whole life even if the environment changes later. Without `NOTIFY_SOCKET` (a terminal, CI, a plain
/// `Type=simple` unit) every call is a no-op.
public struct SystemdNotifier: Sendable {
    /// The notification socket as systemd gave it (`/path` or `@abstract`), nil when notifications are off.
    let socketPath: String?
    /// The watchdog timeout systemd enforces, nil when there is no watchdog for this process.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the process environment.
    public init() {
        self.init(
            environment: [
                "NOTIFY_SOCKET": Self.environmentValue("NOTIFY_SOCKET"),
                "WATCHDOG_USEC": Self.environmentValue("WATCHDOG_USEC"),
                "WATCHDOG_PID": Self.environmentValue("WATCHDOG_PID"),
            ].compactMapValues { $0 },
            pid: getpid()
        )
    }

    /// Testable core of `init()`: the environment and our pid are passed in.
    init(environment: [String: String], pid: pid_t) {
        let socket = environment["NOTIFY_SOCKET"].flatMap(Self.validSocketPath)
        self.socketPath = socket
        self.watchdogInterval = socket == nil ? nil : Self.watchdogInterval(
            usec: environment["WATCHDOG_USEC"], watchdogPID: environment["WATCHDOG_PID"], pid: pid
        )
    }

    /// True when a notification socket is configured (running under systemd with `Type=notify`).
    public var isEnabled: Bool { socketPath != nil }

    /// Tells systemd the service is up (`READY=1`) and sets the status line shown by `systemctl status`.
    public func ready(status: String) {
        send("READY=1\nSTATUS=\(Self.sanitisedStatus(status))")
    }

    /// Tells systemd a reload has begun (`RELOADING=1` with `MONOTONIC_USEC=`, as `Type=notify-reload`
    /// wants it); `ready(status:)` ends it.
    public func reloading() {
        send(Self.reloadingMessage(monotonicMicroseconds: Self.monotonicMicroseconds()))
    }

    static func reloadingMessage(monotonicMicroseconds: UInt64) -> String {
        "RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds)"
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares `MONOTONIC_USEC=` with.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// Sets the status line shown by `systemctl status`.
    public func status(_ text: String) {
        send("STATUS=\(Self.sanitisedStatus(text))")
    }

    /// Tells systemd a graceful shutdown has begun, so a slow drain is not mistaken for a hang.
    public func stopping() {
        send("STOPPING=1")
    }

    /// Keep-alive for `WatchdogSec=`; `WatchdogService` calls this at half the interval.
    public func watchdogPing() {
        send("WATCHDOG=1")
    }

    // MARK: - Pure helpers

    /// One line, no control characters, bounded: a newline would start a new `KEY=value` assignment.
    static func sanitisedStatus(_ text: String) -> String {
        let maxCharacters = 200
        var result = ""
        for scalar in text.unicodeScalars {
            if result.unicodeScalars.count >= maxCharacters { break }
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            result.unicodeScalars.append(isControl ? " " : scalar)
        }
        return result
    }

    /// `WATCHDOG_USEC` as a duration, honouring `WATCHDOG_PID` (the watchdog belongs to that process only,
    /// e.g. not to a child that inherited the environment).
    static func watchdogInterval(usec: String?, watchdogPID: String?, pid: pid_t) -> Duration? {
        guard let usec, let micros = UInt64(usec), micros > 0, micros < UInt64(Int64.max) else { return nil }
        if let watchdogPID {
            guard let expected = pid_t(watchdogPID), expected == pid else { return nil }
        }
        return .microseconds(Int64(micros))
    }

    /// Accepts what systemd hands out: an absolute path or an abstract name (`@...`) that fits `sun_path`.
    static func validSocketPath(_ value: String) -> String? {
        guard let first = value.first, first == "/" || first == "@" else { return nil }
        guard value.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        return value
    }

    // MARK: - Sending

    /// Sends one datagram; failures are ignored like `sd_notify`'s (there is nobody to report them to, and
    /// a missed notification is recovered by the next one or by the watchdog).
    @discardableResult
    func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let isAbstract = pathBytes.first == UInt8(ascii: "@")
        if isAbstract { pathBytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        // Abstract names are length-delimited; filesystem paths carry their terminating NUL.
        let pathLength = pathBytes.count + (isAbstract ? 0 : 1)
        let addressLength = socklen_t(MemoryLayout<sa_family_t>.size + pathLength)

        let payload = Array(message.utf8)
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, addressLength)
                }
            }
        }
        return sent == payload.count
    }

    private static func environmentValue(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
