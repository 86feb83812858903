import Dispatch
import SpoolbridgeCore
import Synchronization

/// The delivery loop's one timer: a single Dispatch timer source, re-armed in place (no task per
/// wait). Disarmed, it is scheduled for the distant future and costs nothing.
final class DeliveryTimer: Sendable {
    private let source: Mutex<any DispatchSourceTimer>

    init(onFire: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "spoolbridge.delivery.timer"))
        timer.setEventHandler(handler: onFire)
        timer.schedule(deadline: .distantFuture)
        timer.activate()
        source = Mutex(timer)
    }

    /// Fires once at the wall-clock instant `at` (now, if it is past).
    func arm(at instant: Timestamp, now: Timestamp) {
        let delay = max(0, instant.millisecondsSince1970 - now.millisecondsSince1970)
        source.withLock { $0.schedule(deadline: .now() + .milliseconds(Int(min(delay, 86_400_000))), leeway: .milliseconds(5)) }
    }

    func disarm() {
        source.withLock { $0.schedule(deadline: .distantFuture) }
    }

    func cancel() {
        source.withLock { $0.cancel() }
    }
}
