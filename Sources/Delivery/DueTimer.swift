import Foundation
import SpoolbridgeCore
import Synchronization

/// Wakes the delivery loop when the earliest queued job falls due. Armed only while something is
/// waiting for a retry, so an idle daemon has no timer at all.
final class DueTimer: Sendable {
    private let sink: AsyncStream<DeliveryService.Event>.Continuation
    private let pending = Mutex<Task<Void, Never>?>(nil)

    init(sink: AsyncStream<DeliveryService.Event>.Continuation) {
        self.sink = sink
    }

    func arm(at due: Timestamp?) {
        let task: Task<Void, Never>? = due.map { due in
            let delay = max(0, due.secondsSince1970 - Date().timeIntervalSince1970)
            return Task { [sink] in
                do {
                    try await Task.sleep(for: .milliseconds(Int64((delay * 1000).rounded(.up)) + 1))
                    sink.yield(.timer)
                } catch {}  // cancelled: re-armed or shutting down
            }
        }
        pending.withLock { current in
            current?.cancel()
            current = task
        }
    }

    func disarm() {
        arm(at: nil)
    }
}
