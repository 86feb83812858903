import Outbox
import SpoolbridgeCore
import Testing

@testable import Delivery

/// Every transition of the delivery state machine, without I/O: events in, actions out.
struct DeliveryStateMachineTests {
    typealias Machine = DeliveryStateMachine

    // MARK: Claiming and sending

    @Test func startClaimsAheadAndSendsUpToTheConcurrency() {
        var machine = Machine(settings: .init(concurrency: 2))
        let actions = machine.handle(.workMayBeDue, now: t0)
        #expect(actions == [.commit(outcomes: [], release: [], claim: 8)])

        let sends = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...3))), now: t0)
        #expect(sends.sent == [1, 2])
        #expect(machine.ready.map(\.id) == [JobID(3)])
        #expect(machine.inFlight.count == 2)
        // Fewer claimed than asked: nothing more is due, so no further claim.
        #expect(!sends.contains { if case .commit = $0 { true } else { false } })
    }

    @Test func aSlotFreesOnlyOnceItsResultIsCommitted() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...2))), now: t0)

        let finished = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: "u1")), now: t0)
        #expect(finished.sent.isEmpty, "job 2 must wait until job 1's result is on disk")
        #expect(finished.commits == [.init(outcomes: [.delivered(JobID(1), documentUUID: "u1")], release: [], claim: 0)])

        let committed = machine.handle(.commitSucceeded(DeliveryCommit(completed: [job(1, .delivered)])), now: t0)
        #expect(committed.sent == [2])
        #expect(committed.contains(.report(.jobUpdated(job(1, .delivered), failedPlacement: nil))))
    }

    @Test func resultsWaitForCompanyWhileSendsAreInFlight() {
        var machine = Machine(settings: .init(concurrency: 4))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...4))), now: t0)
        // 3 still in flight: the result waits, with the timer set to the end of the batch window.
        let first = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: nil)), now: t0)
        #expect(first.commits.isEmpty)
        #expect(first.contains(.armTimer(at: t0.adding(seconds: 0.005))))
        #expect(machine.handle(.sendFinished(.delivered(JobID(2), documentUUID: nil)), now: t1ms).commits.isEmpty)
        #expect(machine.handle(.sendFinished(.delivered(JobID(3), documentUUID: nil)), now: t1ms).commits.isEmpty)
        // The last one in flight is back: all four go in one commit.
        let last = machine.handle(.sendFinished(.delivered(JobID(4), documentUUID: nil)), now: t1ms)
        #expect(last.commits.map(\.outcomes.count) == [4])
        // The window's timer is left to fire once for nothing rather than disarmed per batch…
        #expect(!last.contains(.disarmTimer))
        _ = machine.handle(.commitSucceeded(DeliveryCommit(completed: jobs(1...4))), now: t1ms)
        // …and when it does, with nothing waiting, nothing is armed again.
        let spurious = machine.handle(.timerFired, now: t0.adding(seconds: 0.005))
        #expect(spurious.commits.isEmpty)
        #expect(!spurious.contains { if case .armTimer = $0 { true } else { false } })
    }

    @Test func aWaitingResultIsCommittedWhenTheBatchWindowEnds() {
        var machine = Machine(settings: .init(concurrency: 4))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...4))), now: t0)
        _ = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: nil)), now: t0)
        // The other three hang: the first result does not wait for them beyond the window.
        #expect(machine.handle(.timerFired, now: t1ms).commits.isEmpty, "the window has not ended yet")
        let ended = machine.handle(.timerFired, now: t0.adding(seconds: 0.005))
        #expect(ended.commits.map(\.outcomes) == [[.delivered(JobID(1), documentUUID: nil)]])
    }

    @Test func resultsThatFinishDuringACommitAreRecordedTogetherByTheNext() {
        var machine = Machine(settings: .init(concurrency: 4))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...4))), now: t0)
        _ = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: nil)), now: t0)
        // The window ends with three in flight: job 1 is committed alone.
        #expect(machine.handle(.timerFired, now: t0.adding(seconds: 0.005)).commits.count == 1)
        #expect(machine.handle(.sendFinished(.delivered(JobID(2), documentUUID: nil)), now: t0).commits.isEmpty)
        #expect(machine.handle(.sendFinished(.delivered(JobID(3), documentUUID: nil)), now: t0).commits.isEmpty)
        #expect(machine.handle(.sendFinished(.delivered(JobID(4), documentUUID: nil)), now: t0).commits.isEmpty)

        // Nothing is in flight any more: the three waiting results need no window.
        let next = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0.adding(seconds: 0.005))
        #expect(next.commits.map(\.outcomes.count) == [3])
    }

    @Test func aFullClaimKeepsClaimingAsSlotsFree() {
        var machine = Machine(settings: .init(concurrency: 1))  // prefetch 4
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...4))), now: t0)
        // ready 3 > prefetch / 2: the finished result is committed without a claim.
        let first = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: "u")), now: t0)
        #expect(first.commits.map(\.claim) == [0])
        let second = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(second.sent == [2])
        #expect(second.commits.map(\.claim) == [2], "ready fell to prefetch / 2: top it up")
    }

    // MARK: The timer

    @Test func anIdleMachineArmsTheTimerForTheNextDueJobAndOnlyThen() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        let idle = machine.handle(.commitSucceeded(DeliveryCommit(nextDue: t0.adding(seconds: 30))), now: t0)
        #expect(idle == [.armTimer(at: t0.adding(seconds: 30))])

        let fired = machine.handle(.timerFired, now: t0.adding(seconds: 30))
        #expect(fired == [.commit(outcomes: [], release: [], claim: 4)], "a fired timer is not armed: nothing to disarm")

        let nothing = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0.adding(seconds: 30))
        #expect(nothing.isEmpty, "nothing queued: no timer at all")
    }

    @Test func newWorkWhileIdleClaimsAtOnce() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(machine.handle(.workMayBeDue, now: t0).commits.map(\.claim) == [4])
    }

    // MARK: Commit failures

    @Test func aFailedCommitKeepsItsResultsAndTriesAgainWithBackoff() throws {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...1))), now: t0)
        let outcome = DeliveryOutcome.delivered(JobID(1), documentUUID: "u1")
        _ = machine.handle(.sendFinished(outcome), now: t0)

        let failed = machine.handle(.commitFailed(reason: "disk full"), now: t0)
        let retryAt = try #require(failed.armedAt)
        #expect(failed.contains { if case .report(.commitFailing("disk full", _)) = $0 { true } else { false } })
        #expect(machine.pendingOutcomes == [outcome])
        #expect(failed.commits.isEmpty)

        // A second failure with the same reason is not reported again.
        let again = machine.handle(.timerFired, now: retryAt)
        #expect(again.commits.map(\.outcomes) == [[outcome]])
        let second = machine.handle(.commitFailed(reason: "disk full"), now: retryAt)
        #expect(!second.contains { if case .report = $0 { true } else { false } })
        #expect(try #require(second.armedAt) > retryAt, "the backoff grows")

        let secondRetry = try #require(second.armedAt)
        _ = machine.handle(.timerFired, now: secondRetry)
        let recovered = machine.handle(.commitSucceeded(DeliveryCommit(completed: [job(1, .delivered)])), now: secondRetry)
        #expect(recovered.contains(.report(.commitRecovered(failedAttempts: 2))))
        #expect(machine.pendingOutcomes.isEmpty)
    }

    @Test func whileACommitBacksOffNoNewJobIsSent() {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...4))), now: t0)
        _ = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: "u")), now: t0)
        let windowEnd = t0.adding(seconds: 0.005)
        #expect(machine.handle(.timerFired, now: windowEnd).commits.count == 1)
        _ = machine.handle(.commitFailed(reason: "SQLITE_BUSY"), now: windowEnd)
        let more = machine.handle(.sendFinished(.delivered(JobID(2), documentUUID: "u")), now: windowEnd)
        #expect(more.sent.isEmpty)
        #expect(more.commits.isEmpty)
        #expect(machine.pendingOutcomes.count == 2)
    }

    @Test func skippedOutcomesAreReportedAndTheRestProceeds() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...2))), now: t0)
        _ = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: "u")), now: t0)
        let skipped = SkippedOutcome(jobID: JobID(1), reason: "job 1: cannot mark delivered while cancelled")
        let actions = machine.handle(.commitSucceeded(DeliveryCommit(skipped: [skipped])), now: t0)
        #expect(actions.contains(.report(.outcomeSkipped(skipped))))
        #expect(actions.sent == [2])
    }

    // MARK: Outages

    @Test func anOutageHoldsDeliveryReleasesClaimsAndProbes() throws {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...5))), now: t0)
        let failure = DeliveryFailure(kind: .transient, message: "127.0.0.1:9 refused the connection")

        let down = machine.handle(.sendFinished(.failed(JobID(1), failure)), now: t0)
        #expect(down.contains(.report(.cloudUnavailable(failure))))
        #expect(down.commits == [.init(outcomes: [.deferred(JobID(1), failure)], release: [JobID(3), JobID(4), JobID(5)], claim: 0)])
        #expect(down.sent.isEmpty)
        let probeAt = try #require(down.armedAt)
        #expect(probeAt <= t0.adding(seconds: machine.settings.probeBaseSeconds))

        // Job 2, in flight when the outage began, fails too: deferred, not counted against the probe.
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        let other = machine.handle(.sendFinished(.failed(JobID(2), failure)), now: t0)
        #expect(other.commits.map(\.outcomes) == [[.deferred(JobID(2), failure)]])
        #expect(!other.contains { if case .report(.cloudUnavailable) = $0 { true } else { false } })

        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(machine.handle(.workMayBeDue, now: t0).isEmpty, "new work waits for the probe")
        #expect(machine.handle(.timerFired, now: probeAt) == [.probe])
    }

    @Test func aFailedProbeBacksOffUpToTheCap() throws {
        var machine = downMachine()
        var now = t0
        var delays: [Double] = []
        for _ in 0..<8 {
            guard case .down(let outage) = machine.health else { Issue.record("not down"); return }
            now = outage.nextProbeAt
            #expect(machine.handle(.timerFired, now: now) == [.probe])
            let actions = machine.handle(.probeFinished(outageFailure), now: now)
            let next = try #require(actions.armedAt)
            delays.append(next.seconds(since: now))
        }
        #expect(delays.allSatisfy { $0 <= machine.settings.probeMaxSeconds })
        #expect(try #require(delays.last) >= machine.settings.probeMaxSeconds / 2)
    }

    @Test func aProbeHonoursRetryAfter() {
        var machine = downMachine()
        guard case .down(let outage) = machine.health else { Issue.record("not down"); return }
        _ = machine.handle(.timerFired, now: outage.nextProbeAt)
        let busy = DeliveryFailure(kind: .transient, httpStatus: 429, message: "slow down", retryAfterSeconds: 20)
        let actions = machine.handle(.probeFinished(busy), now: outage.nextProbeAt)
        #expect(actions.armedAt == outage.nextProbeAt.adding(seconds: 20))
    }

    @Test func anAnsweredProbeSendsOneTrialAndItsSuccessResumesFullSpeed() {
        var machine = downMachine()
        guard case .down(let outage) = machine.health else { Issue.record("not down"); return }
        let now = outage.nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        let trialClaim = machine.handle(.probeFinished(nil), now: now)
        #expect(trialClaim.commits.map(\.claim) == [1])
        let trial = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(7...7))), now: now)
        #expect(trial.sent == [7])

        let up = machine.handle(.sendFinished(.delivered(JobID(7), documentUUID: "u7")), now: now.adding(seconds: 1))
        #expect(machine.health == .up)
        #expect(up.contains { if case .report(.cloudAvailable) = $0 { true } else { false } })
        #expect(up.commits.map(\.claim) == [machine.settings.prefetch])
    }

    @Test func aFailedTrialGoesBackToProbing() {
        var machine = downMachine()
        guard case .down(let outage) = machine.health else { Issue.record("not down"); return }
        let now = outage.nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        _ = machine.handle(.probeFinished(nil), now: now)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(7...7))), now: now)
        let again = machine.handle(.sendFinished(.failed(JobID(7), outageFailure)), now: now)
        guard case .down(let after) = machine.health else { Issue.record("not down"); return }
        #expect(after.failures == outage.failures + 1)
        #expect(after.phase == .waiting)
        #expect(again.armedAt == after.nextProbeAt)
    }

    @Test func aTrialRejectedLocallyIsReplacedByAnother() {
        var machine = downMachine()
        guard case .down(let outage) = machine.health else { Issue.record("not down"); return }
        let now = outage.nextProbeAt
        _ = machine.handle(.timerFired, now: now)
        _ = machine.handle(.probeFinished(nil), now: now)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(7...7))), now: now)
        let rejected = machine.handle(
            .sendFinished(.rejected(JobID(7), DeliveryFailure(kind: .permanent, message: "too large"))), now: now)
        #expect(rejected.commits.map(\.claim) == [1], "another job is claimed for the trial")
    }

    @Test func aProbeAnsweredWithNothingToSendMeansUp() {
        var machine = downMachine()
        guard case .down(let outage) = machine.health else { Issue.record("not down"); return }
        _ = machine.handle(.timerFired, now: outage.nextProbeAt)
        _ = machine.handle(.probeFinished(nil), now: outage.nextProbeAt)
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: outage.nextProbeAt)
        #expect(machine.health == .up)
    }

    @Test func aRefusalOfOneDocumentIsNotAnOutage() {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...3))), now: t0)
        let refused = DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad portname")
        _ = machine.handle(.sendFinished(.failed(JobID(1), refused)), now: t0)
        #expect(machine.health == .up)
        let actions = machine.handle(.timerFired, now: t0.adding(seconds: 0.005))  // job 2 is still in flight
        #expect(actions.commits.map(\.outcomes) == [[.failed(JobID(1), refused)]])
    }

    // MARK: Shutdown

    @Test func shutdownCommitsWhatIsKnownReleasesClaimsAndStops() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...3))), now: t0)
        _ = machine.handle(.sendFinished(.delivered(JobID(1), documentUUID: "u")), now: t0)  // commit running
        let stop = machine.handle(.shutdownRequested, now: t0)
        #expect(stop.sent.isEmpty && stop.commits.isEmpty)
        #expect(!machine.isStopped)

        let final = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(final.commits == [.init(outcomes: [], release: [JobID(2), JobID(3)], claim: 0)])
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        #expect(machine.isStopped)
    }

    @Test func aFailedCommitAtShutdownIsNotRetried() {
        var machine = Machine(settings: .init(concurrency: 1))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...2))), now: t0)
        _ = machine.handle(.shutdownRequested, now: t0)
        let failed = machine.handle(.commitFailed(reason: "disk full"), now: t0)
        #expect(failed.commits.isEmpty && failed.armedAt == nil)
        #expect(machine.isStopped)
    }

    // MARK: Helpers

    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    let t1ms = Timestamp(millisecondsSince1970: 1_800_000_000_001)
    let outageFailure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "down")

    func downMachine() -> Machine {
        var machine = Machine(settings: .init(concurrency: 2))
        _ = machine.handle(.workMayBeDue, now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit(claimed: jobs(1...1))), now: t0)
        _ = machine.handle(.sendFinished(.failed(JobID(1), outageFailure)), now: t0)
        _ = machine.handle(.commitSucceeded(DeliveryCommit()), now: t0)
        return machine
    }

    func job(_ id: Int64, _ state: JobState = .uploading) -> Job {
        Job(id: JobID(id), state: state,
            source: .cups(.init(jobUUID: "urn:uuid:\(id)", cupsJobID: Int(id), printer: "p")),
            request: DocumentRequest(username: "alice", portname: "Finance", title: "doc\(id).pdf"),
            payloadName: "p\(id)", payloadSize: 100, attempts: 1, nextAttemptAt: nil, createdAt: t0, updatedAt: t0)
    }

    func jobs(_ ids: ClosedRange<Int64>) -> [Job] { ids.map { job($0) } }
}

struct CommitRequest: Equatable {
    var outcomes: [DeliveryOutcome]
    var release: [JobID]
    var claim: Int
}

extension Array where Element == DeliveryStateMachine.Action {
    var sent: [Int64] {
        compactMap { if case .send(let job) = $0 { job.id.rawValue } else { nil } }
    }

    var commits: [CommitRequest] {
        compactMap {
            if case .commit(let outcomes, let release, let claim) = $0 {
                CommitRequest(outcomes: outcomes, release: release, claim: claim)
            } else {
                nil
            }
        }
    }

    var armedAt: Timestamp? {
        compactMap { if case .armTimer(let at) = $0 { at } else { nil } }.last
    }
}
