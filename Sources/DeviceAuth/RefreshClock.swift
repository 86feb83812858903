import Dispatch
import Foundation
import SpoolbridgeCore
import Synchronization

/// Time for the refresher: "now" and one-shot timers whose handlers run on the refresher's serial
/// queue. The system clock uses `DispatchSourceTimer`; tests use a manual clock and never wait.
public protocol RefreshClock: Sendable {
    func now() -> Timestamp
    func makeTimer(queue: DispatchQueue, handler: @escaping @Sendable () -> Void) -> any RefreshTimer
}

public protocol RefreshTimer: Sendable {
    /// Fires once at `instant` (at once if it is past); arming again replaces the previous instant.
    func arm(at instant: Timestamp)
    func disarm()
    func cancel()
}

/// Wall-clock time and Dispatch timers on wall-clock deadlines: an access token expires by the
/// calendar, so a machine that slept must refresh as soon as it wakes.
public struct SystemRefreshClock: RefreshClock {
    public init() {}

    public func now() -> Timestamp { Timestamp(secondsSince1970: Date().timeIntervalSince1970) }

    public func makeTimer(queue: DispatchQueue, handler: @escaping @Sendable () -> Void) -> any RefreshTimer {
        DispatchRefreshTimer(queue: queue, handler: handler, clock: self)
    }
}

/// One `DispatchSourceTimer`, re-armed in place; disarmed it waits for the distant future.
final class DispatchRefreshTimer: RefreshTimer {
    private let source: Mutex<any DispatchSourceTimer>
    private let clock: SystemRefreshClock

    init(queue: DispatchQueue, handler: @escaping @Sendable () -> Void, clock: SystemRefreshClock) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler(handler: handler)
        timer.schedule(wallDeadline: .distantFuture)
        timer.activate()
        self.source = Mutex(timer)
        self.clock = clock
    }

    func arm(at instant: Timestamp) {
        let delay = max(0, instant.millisecondsSince1970 - clock.now().millisecondsSince1970)
        let capped = Int(min(delay, 7 * 86_400_000))  // re-armed by the state machine if it fires early
        source.withLock { $0.schedule(wallDeadline: .now() + .milliseconds(capped), leeway: .milliseconds(50)) }
    }

    func disarm() {
        source.withLock { $0.schedule(wallDeadline: .distantFuture) }
    }

    func cancel() {
        source.withLock { $0.cancel() }
    }
}
