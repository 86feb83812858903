import Dispatch
import SpoolbridgeCore
import Testing

@testable import DeviceAuth

/// The production clock's Dispatch timer: fires on the given serial queue, once per arming.
struct SystemClockTests {
    @Test func anArmedTimerFiresOnItsQueueAndCanBeReArmed() async throws {
        let queue = DispatchQueue(label: "test.refresher")
        let fired = Recorder(0)
        let clock = SystemRefreshClock()
        let timer = clock.makeTimer(queue: queue) {
            dispatchPrecondition(condition: .onQueue(queue))
            fired.change { $0 += 1 }
        }
        defer { timer.cancel() }
        timer.arm(at: clock.now().adding(seconds: -1))  // past: at once
        try await waitUntil("the first firing") { fired.value == 1 }
        timer.arm(at: clock.now().adding(seconds: 0.05))
        try await waitUntil("the second firing") { fired.value == 2 }
        #expect(fired.value == 2)
    }
}
