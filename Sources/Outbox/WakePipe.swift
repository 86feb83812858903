#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wake-up a blocking thread can wait for in poll(2) together with its socket: `signal()` makes
/// `descriptor` readable, and it stays readable until `drain()`. Signals coalesce; none is lost.
public final class WakePipe: @unchecked Sendable {
    /// The read end, to poll for POLLIN.
    public let descriptor: Int32
    private let writeEnd: Int32

    public init() throws(OutboxError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .posix(errno, "create", "a wake-up pipe") }
        for end in ends {
            // Non-blocking both ways: a full pipe is already signalled, an empty one has nothing to drain.
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
