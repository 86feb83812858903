import Outbox
import SpoolbridgeCore
import Testing

@testable import Delivery

/// A token the cloud refuses even after a refresh (`.unauthorized`) holds delivery like an outage,
/// with its own notice and probe cap; every transition without I/O.
struct AuthHoldTests {
    typealias Machine = DeliveryStateMachine

    @Test func aRefusedTokenHoldsDeliveryDefersTheJobAndReleasesTheClaims() throws {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...5))), now: t0)

        let held = machine.handle(.sendFinished(.failed(JobID(1), refused)), now: t0)
        #expect(held.reports == [.authenticationRefused(refused)], "an auth hold is not reported as an outage")
        #expect(held.commits == [.init(outcomes: [.deferred(JobID(1), refused)], release: [JobID(3), JobID(4), JobID(5)], claim: 0)])
        #expect(held.sent.isEmpty)
        let outage = try #require(machine.outage)
        #expect(outage.reason == .authentication)
        #expect(outage.reason.description.hasPrefix("authentication: "))
        #expect(outage.reason.description.contains("spoolbridge device status"))
        #expect(try #require(held.armedAt) <= t0.adding(seconds: machine.settings.probeBaseSeconds))

        // Job 2 was in flight: refused too, deferred, no second notice.
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        let other = machine.handle(.sendFinished(.failed(JobID(2), refused)), now: t0)
        #expect(other.commits.map(\.outcomes) == [[.deferred(JobID(2), refused)]])
        #expect(other.reports.isEmpty)
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(machine.handle(.workMayBeDue, now: t0).isEmpty, "new work waits for the probe")
    }

    @Test func refusedProbesBackOffOneAtATimeUpToTheAuthCap() throws {
        var machine = heldMachine()
        var delays: [Double] = []
        for _ in 0..<10 {
            let outage = try #require(machine.outage)
            let now = outage.nextProbeAt
            #expect(machine.handle(.timerFired, now: now) == [.probe], "one probe, nothing else")
            #expect(machine.handle(.workMayBeDue, now: now).isEmpty, "no second probe while one runs")
            let actions = machine.handle(.probeFinished(refused), now: now)
            #expect(actions.reports.isEmpty, "the same refusal is reported once, not per probe")
            delays.append(try #require(actions.armedAt).seconds(since: now))
        }
        let cap = machine.settings.authProbeMaxSeconds
        #expect(cap > machine.settings.probeMaxSeconds)
        #expect(delays.allSatisfy { $0 <= cap })
        #expect(try #require(delays.last) >= cap / 2, "the backoff grows to the auth cap")
        #expect(try #require(delays.last) > machine.settings.probeMaxSeconds)
    }

    @Test func anAnsweredProbeSendsATrialAndItsSuccessEndsTheHold() throws {
        var machine = heldMachine()
        let now = try #require(machine.outage).nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        #expect(machine.handle(.probeFinished(nil), now: now).commits.map(\.claim) == [1])
        #expect(machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(7...7))), now: now).sent == [7])

        let later = now.adding(seconds: 3)
        let up = machine.handle(.sendFinished(.delivered(JobID(7), documentUUID: "u7")), now: later)
        #expect(machine.health == .up)
        #expect(up.reports == [.authenticationAccepted(refusedSeconds: later.seconds(since: t0))])
        #expect(up.commits.map(\.claim) == [machine.settings.prefetch], "full speed again")
    }

    @Test func anAnsweredProbeWithNothingQueuedEndsTheHold() throws {
        var machine = heldMachine()
        let now = try #require(machine.outage).nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        _ = machine.handle(.probeFinished(nil), now: now)
        let up = machine.handle(.commitSucceeded(DeliveryCommit()), now: now)
        #expect(machine.health == .up)
        #expect(up.reports == [.authenticationAccepted(refusedSeconds: now.seconds(since: t0))])
    }

    @Test func aRefusedTrialGoesBackToProbingWithoutANewNotice() throws {
        var machine = heldMachine()
        let outage = try #require(machine.outage)
        let now = outage.nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        _ = machine.handle(.probeFinished(nil), now: now)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(7...7))), now: now)
        let again = machine.handle(.sendFinished(.failed(JobID(7), refused)), now: now)
        let after = try #require(machine.outage)
        #expect(after.failures == outage.failures + 1)
        #expect(after.phase == .waiting)
        #expect(after.reason == .authentication)
        #expect(again.reports.isEmpty)
        #expect(again.commits.map(\.outcomes) == [[.deferred(JobID(7), refused)]], "queued again, not failed")
        #expect(again.armedAt == after.nextProbeAt)
    }

    @Test func anOutageThatTurnsIntoARefusalAndBackIsReportedAtEachChange() throws {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...1))), now: t0)
        #expect(machine.handle(.sendFinished(.failed(JobID(1), outageFailure)), now: t0).reports == [.cloudUnavailable(outageFailure)])
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)

        var now = try #require(machine.outage).nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        #expect(machine.handle(.probeFinished(refused), now: now).reports == [.authenticationRefused(refused)])
        #expect(machine.outage?.reason == .authentication)

        now = try #require(machine.outage).nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        #expect(machine.handle(.probeFinished(outageFailure), now: now).reports == [.cloudUnavailable(outageFailure)])
        #expect(machine.outage?.reason == .cloudUnavailable)

        // It ends as an outage: reported as the cloud being back.
        now = try #require(machine.outage).nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        _ = machine.handle(.probeFinished(nil), now: now)
        let up = machine.handle(.commitSucceeded(DeliveryCommit()), now: now)
        #expect(up.reports == [.cloudAvailable(unavailableSeconds: 0)])
    }

    @Test func newCredentialsProbeAtOnceDuringAnAuthHoldOnly() throws {
        var machine = heldMachine()
        let outage = try #require(machine.outage)
        let early = t0.adding(seconds: 0.01)
        #expect(early < outage.nextProbeAt)
        let probed = machine.handle(.credentialsChanged, now: early)
        #expect(probed.filter { $0 == .probe }.count == 1, "no waiting out the backoff")
        #expect(probed.contains(.disarmTimer), "the backoff's timer is no longer needed")
        #expect(machine.handle(.credentialsChanged, now: early).isEmpty, "still one probe at a time")

        var outageMachine = Machine(settings: .init(concurrency: 1))
        _ = outageMachine.handle(.workMayBeDue, now: t0)
        _ = outageMachine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...1))), now: t0)
        _ = outageMachine.handle(.sendFinished(.failed(JobID(1), outageFailure)), now: t0)
        _ = outageMachine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(outageMachine.handle(.credentialsChanged, now: early).isEmpty, "a token does not bring the cloud back")

        var upMachine = Machine(settings: .init(concurrency: 1))
        _ = upMachine.handle(.workMayBeDue, now: t0)
        _ = upMachine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(upMachine.handle(.credentialsChanged, now: early).isEmpty)
    }

    @Test func onlyOutagesAndRefusedTokensHoldDelivery() {
        #expect(Machine.holdsDelivery(refused))
        #expect(Machine.holdsDelivery(DeliveryFailure(kind: .unauthorized, message: "the device is not registered")))
        #expect(Machine.holdsDelivery(outageFailure))
        #expect(!Machine.holdsDelivery(DeliveryFailure(kind: .permanent, httpStatus: 401, message: "bad API key")),
                "without a token source a 401 stays the job's failure, as before")
        #expect(!Machine.holdsDelivery(DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad portname")))
    }

    // MARK: Helpers

    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    let refused = DeliveryFailure(
        kind: .unauthorized, httpStatus: 401, message: "the cloud refused a freshly refreshed access token too")
    let outageFailure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "down")

    /// Held on auth since t0, the probe waiting.
    func heldMachine() -> Machine {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...1))), now: t0)
        _ = machine.handle(.sendFinished(.failed(JobID(1), refused)), now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        return machine
    }

    func jobs(_ ids: ClosedRange<Int64>) -> [Job] {
        ids.map { id in
            Job(id: JobID(id), state: .uploading,
                source: .cups(.init(jobUUID: "urn:uuid:\(id)", cupsJobID: Int(id), printer: "p")),
                request: DocumentRequest(username: "alice", portname: "Finance", title: "doc\(id).pdf"),
                payloadName: "p\(id)", payloadSize: 100, attempts: 1, nextAttemptAt: nil, createdAt: t0, updatedAt: t0)
        }
    }
}

extension DeliveryStateMachine {
    var outage: Outage? {
        if case .down(let outage) = health { return outage }
        return nil
    }
}

extension Array where Element == DeliveryStateMachine.Action {
    var reports: [DeliveryStateMachine.Notice] {
        compactMap { if case .report(let notice) = $0 { notice } else { nil } }
    }
}
