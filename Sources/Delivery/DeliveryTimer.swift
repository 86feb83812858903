import Dispatch
import SpoolbridgeCore

/// The delivery loop's one timer: a single Dispatch timer source, re-armed in place (no task per
/// wait). Disarmed, it is scheduled for the distant future and costs nothing.
/// `@unchecked`: a Dispatch source may be rescheduled and cancelled from any thread.
final class DeliveryTimer: @unchecked Sendable {
    private let source: any DispatchSourceTimer

    init(onFire: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "spoolbridge.delivery.timer"))
        source.setEventHandler(handler: onFire)
        source.schedule(deadline: .distantFuture)
        source.activate()
    }

    /// Fires once at the wall-clock instant `at` (now, if it is past).
    func arm(at instant: Timestamp, now: Timestamp) {
        let delay = max(0, instant.millisecondsSince1970 - now.millisecondsSince1970)
        source.schedule(deadline: .now() + .milliseconds(Int(min(delay, 86_400_000))), leeway: .milliseconds(5))
    }

    func disarm() {
        source.schedule(deadline: .distantFuture)
    }

    func cancel() {
        source.cancel()
    }
}
