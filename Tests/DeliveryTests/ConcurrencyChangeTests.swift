import Outbox
import SpoolbridgeCore
import Testing

@testable import Delivery

/// `[delivery] concurrency` changed by a reload: the machine applies it at once, without dropping or
/// re-sending anything.
extension DeliveryStateMachineTests {
    @Test func moreSlotsSendTheClaimedJobsAtOnce() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        let first = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...3))), now: t0)
        #expect(first.sent == [1])

        let raised = machine.handle(.concurrencyChanged(3), now: t0)
        #expect(raised.sent == [2, 3], "the two waiting jobs go out without waiting for job 1")
        #expect(machine.settings.concurrency == 3)
        #expect(machine.settings.prefetch == 12)
        #expect(machine.inFlight.count == 3)
    }

    @Test func fewerSlotsLetRequestsInFlightFinishAndSendNothingNewUntilBelowTheLimit() {
        var machine = Machine(settings: .init(concurrency: 3))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...5))), now: t0)
        #expect(machine.inFlight.count == 3)

        let lowered = machine.handle(.concurrencyChanged(1), now: t0)
        #expect(lowered.sent.isEmpty)
        #expect(machine.inFlight.count == 3, "nothing in flight is cancelled")

        _ = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: "u1")), now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(completed: [job(1, .delivered)])), now: t0)
        _ = machine.handle(.sendFinished(.delivered(JobID(2), documentUUID: "u2")), now: t0)
        let stillTwoBusy = machine.handle(.commitSucceeded(DeliveryCommit(completed: [job(2, .delivered)])), now: t0)
        #expect(stillTwoBusy.sent.isEmpty, "job 3 is still in flight: one slot, taken")

        _ = machine.handle(.sendFinished(.delivered(JobID(3), documentUUID: "u3")), now: t0)
        let free = machine.handle(.commitSucceeded(DeliveryCommit(completed: [job(3, .delivered)])), now: t0)
        #expect(free.sent == [4], "one at a time from now on")
    }

    @Test func aConcurrencyBelowOneIsOne() {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.concurrencyChanged(0), now: t0)
        #expect(machine.settings.concurrency == 1)
        #expect(machine.settings.prefetch == 4)
    }
}
