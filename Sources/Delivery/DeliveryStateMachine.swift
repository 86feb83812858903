import Outbox
import SpoolbridgeCore

/// Every decision of delivery, and nothing else: no I/O, no clock, no randomness of its own.
/// Events go in (`handle(_:now:)`), actions come out; `DeliveryService` performs the actions and
/// feeds their results back as events. Shaped after async-http-client's connection-pool state machine.
///
/// It owns the jobs claimed but not sent (`ready`), the requests in flight, the results not yet
/// committed, the commit in progress (or its backoff), cloud health and the one timer.
///
/// Rules it keeps:
/// - A slot (one of `concurrency`) is taken by a request in flight *and* by its result until that
///   result is committed: a crash re-sends at most `concurrency` documents.
/// - One commit at a time; a failed commit keeps its results and is retried with backoff. Nothing is
///   dropped, and the failure is reported once per change, not once per attempt.
/// - While the cloud is down, nothing is sent: a cheap probe (`GET /version`) runs with its own
///   backoff; when it answers, one job is sent as a trial, and full speed resumes when the cloud
///   accepts it. Jobs waiting meanwhile keep their place (deferred, due at once), so a backlog drains
///   as soon as the cloud is back instead of waiting out backoffs of its own.
/// - A token the cloud refuses even after a refresh (`.unauthorized`) holds delivery the same way,
///   with its own notice: it is not the job's fault, so the job goes back to the queue without
///   spending an attempt (`JobLifecycle.attemptDeferred`) and nothing is failed for it. The hold
///   rules live in DeliveryStateMachine+Hold.swift.
///
/// Job kinds: the machine moves jobs by id and outcome only; what "send" means for a kind (upload,
/// history record, release, card) is the sender's business.
public struct DeliveryStateMachine: Sendable {
    enum CommitState: Sendable, Hashable {
        case idle
        case running(outcomes: [DeliveryOutcome], release: [JobID], claim: Int)
        case backingOff(until: Timestamp)
    }

    public private(set) var settings: Settings
    /// Set by the hold rules (DeliveryStateMachine+Hold.swift) only.
    public internal(set) var health: Health = .up
    /// Claimed (`uploading` in the outbox) but not sent: a crash merely queues them again.
    public private(set) var ready: [Job] = []
    /// Requests in flight, with the time each was sent.
    public private(set) var inFlight: [JobID: Timestamp] = [:]
    /// Results waiting for the next commit.
    public private(set) var pendingOutcomes: [DeliveryOutcome] = []
    /// When the oldest of `pendingOutcomes` arrived: it waits for company until the batch window ends.
    var oldestPendingAt: Timestamp?
    /// Claims to give back at the next commit.
    public private(set) var pendingRelease: [JobID] = []
    var commit: CommitState = .idle
    var commitFailures = 0
    var lastCommitFailure: String?
    /// False once a claim came back short: the outbox has nothing due until `nextDue`.
    var mayHaveDueWork = true
    var nextDue: Timestamp?
    var armedAt: Timestamp?
    public private(set) var isShuttingDown = false
    var random: SplitMix64

    public init(settings: Settings, seed: UInt64 = 0x5b0_0_1b_71d6e) {
        self.settings = settings
        self.random = SplitMix64(seed: seed)
    }

    /// True once a requested shutdown has committed what it could: the service may return.
    public var isStopped: Bool {
        guard isShuttingDown else { return false }
        if case .running = commit { return false }
        return true
    }

    /// The request in flight the longest, for `status`.
    public var oldestInFlight: Timestamp? { inFlight.values.min() }

    public mutating func handle(_ event: Event, now: Timestamp) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .workMayBeDue:
            mayHaveDueWork = true
        case .timerFired:
            armedAt = nil
            timerFired(now: now, &actions)
        case .sendFinished(let outcome):
            sendFinished(outcome, now: now, &actions)
        case .probeFinished(let failure):
            probeFinished(failure, now: now, &actions)
        case .commitSucceeded(let result):
            commitSucceeded(result, now: now, &actions)
        case .commitFailed(let reason):
            commitFailed(reason, now: now, &actions)
        case .concurrencyChanged(let concurrency):
            let updated = Settings(concurrency: concurrency)
            settings.concurrency = updated.concurrency
            settings.prefetch = updated.prefetch
        case .credentialsChanged:
            credentialsChanged(now: now, &actions)
        case .shutdownRequested:
            isShuttingDown = true
            pendingRelease += ready.map(\.id)
            ready = []
        }
        advance(now: now, &actions)
        return actions
    }

    // MARK: Events

    private mutating func timerFired(now: Timestamp, _ actions: inout [Action]) {
        if case .backingOff(let until) = commit, until <= now { commit = .idle }
        // A batch window that ended needs nothing here: `startCommit` sees it has.
        if case .down(var outage) = health, outage.phase == .waiting, outage.nextProbeAt <= now, !isShuttingDown {
            outage.phase = .probing
            health = .down(outage)
            actions.append(.probe)
        }
        if let nextDue, nextDue <= now { mayHaveDueWork = true }
    }

    private mutating func sendFinished(_ outcome: DeliveryOutcome, now: Timestamp, _ actions: inout [Action]) {
        inFlight[outcome.jobID] = nil
        var outcome = outcome
        if case .failed(let id, let failure) = outcome, Self.holdsDelivery(failure) {
            outcome = .deferred(id, failure)
            cloudFailed(failure, trial: id, now: now, &actions)
            // Claimed jobs go back to the queue while delivery holds (`status` shows them queued).
            pendingRelease += ready.map(\.id)
            ready = []
        } else if Self.cloudAnswered(outcome) {
            cloudAnswered(now: now, &actions)
        }
        if pendingOutcomes.isEmpty { oldestPendingAt = now }
        pendingOutcomes.append(outcome)
        // A trial that proved nothing about the cloud (rejected before sending): try another job.
        if case .down(var outage) = health, case .trial(let trial) = outage.phase, trial == outcome.jobID {
            outage.phase = .trial(nil)
            health = .down(outage)
        }
    }

    private mutating func probeFinished(_ failure: DeliveryFailure?, now: Timestamp, _ actions: inout [Action]) {
        guard case .down(var outage) = health, outage.phase == .probing else { return }
        if let failure {
            scheduleProbe(&outage, after: failure, now: now)
            updateReason(&outage, after: failure, &actions)
            health = .down(outage)
        } else {
            outage.phase = .trial(nil)
            health = .down(outage)
            mayHaveDueWork = true
        }
    }

    private mutating func credentialsChanged(now: Timestamp, _ actions: inout [Action]) {
        guard case .down(var outage) = health, outage.reason == .authentication, outage.phase == .waiting else { return }
        outage.nextProbeAt = now
        health = .down(outage)
        timerFired(now: now, &actions)
    }

    private mutating func commitSucceeded(_ result: DeliveryCommit, now: Timestamp, _ actions: inout [Action]) {
        guard case .running(_, _, let claim) = commit else { return }
        commit = .idle
        if commitFailures > 0 {
            actions.append(.report(.commitRecovered(failedAttempts: commitFailures)))
            commitFailures = 0
            lastCommitFailure = nil
        }
        for job in result.completed {
            actions.append(.report(.jobUpdated(job, failedPlacement: result.failedPlacements[job.id])))
        }
        for skipped in result.skipped { actions.append(.report(.outcomeSkipped(skipped))) }
        if result.claimed.count < claim { mayHaveDueWork = false }
        nextDue = result.nextDue
        if isShuttingDown {
            pendingRelease += result.claimed.map(\.id)
        } else {
            ready += result.claimed
        }
        if case .down(let outage) = health, case .trial(nil) = outage.phase, result.claimed.isEmpty, ready.isEmpty, claim > 0 {
            // The cloud answers and nothing is due to try it with: call it up.
            health = .up
            actions.append(.report(outage.reason == .authentication
                ? .authenticationAccepted(refusedSeconds: now.seconds(since: outage.since))
                : .cloudAvailable(unavailableSeconds: 0)))
        }
    }

    private mutating func commitFailed(_ reason: String, now: Timestamp, _ actions: inout [Action]) {
        guard case .running(let outcomes, let release, _) = commit else { return }
        pendingOutcomes = outcomes + pendingOutcomes
        pendingRelease = release + pendingRelease
        commitFailures += 1
        if isShuttingDown {
            // Nothing is lost: the rows stay `uploading` and recovery queues them at the next start.
            commit = .idle
            return
        }
        let ceiling = min(settings.commitRetryMaxSeconds, settings.commitRetryBaseSeconds * Self.power2(commitFailures - 1))
        let delay = ceiling * (0.5 + 0.5 * random.nextUnit())
        commit = .backingOff(until: now.adding(seconds: delay))
        if reason != lastCommitFailure {
            actions.append(.report(.commitFailing(reason: reason, retryInSeconds: delay)))
            lastCommitFailure = reason
        }
    }

    // MARK: Next steps

    /// After any event: start what the slots allow, commit what waits, and set the timer.
    private mutating func advance(now: Timestamp, _ actions: inout [Action]) {
        startSends(now: now, &actions)
        startCommit(now: now, &actions)
        updateTimer(now: now, &actions)
    }

    private var occupiedSlots: Int {
        var committing = 0
        if case .running(let outcomes, _, _) = commit { committing = outcomes.count }
        return inFlight.count + pendingOutcomes.count + committing
    }

    private mutating func startSends(now: Timestamp, _ actions: inout [Action]) {
        guard !isShuttingDown else { return }
        switch health {
        case .up:
            while occupiedSlots < settings.concurrency, !ready.isEmpty {
                send(ready.removeFirst(), now: now, &actions)
            }
        case .down(var outage):
            guard case .trial(nil) = outage.phase, !ready.isEmpty, occupiedSlots < settings.concurrency else { return }
            let job = ready.removeFirst()
            outage.phase = .trial(job.id)
            health = .down(outage)
            send(job, now: now, &actions)
        }
    }

    private mutating func send(_ job: Job, now: Timestamp, _ actions: inout [Action]) {
        inFlight[job.id] = now
        actions.append(.send(job))
    }

    private var wantedClaim: Int {
        guard !isShuttingDown, mayHaveDueWork else { return 0 }
        switch health {
        case .up:
            return ready.count <= settings.prefetch / 2 ? settings.prefetch - ready.count : 0
        case .down(let outage):
            if case .trial(nil) = outage.phase, ready.isEmpty { return 1 }
            return 0
        }
    }

    private mutating func startCommit(now: Timestamp, _ actions: inout [Action]) {
        guard case .idle = commit else { return }
        let claim = wantedClaim
        guard !pendingOutcomes.isEmpty || !pendingRelease.isEmpty || claim > 0 else { return }
        if isShuttingDown && commitFailures > 0 { return }  // one try at shutdown
        if claim == 0, pendingRelease.isEmpty, let waitsUntil = batchWindowEnd, now < waitsUntil { return }
        commit = .running(outcomes: pendingOutcomes, release: pendingRelease, claim: claim)
        actions.append(.commit(outcomes: pendingOutcomes, release: pendingRelease, claim: claim))
        pendingOutcomes = []
        pendingRelease = []
        oldestPendingAt = nil
    }

    /// Until when the waiting results hold their commit back for company; nil when they need not.
    /// Sends finish a fraction of a millisecond apart in a burst, so committing each result alone
    /// cost one flush of the database and the archive folder per document. A result waits while
    /// any send is still in flight (its result is coming), for at most `batchWindowSeconds`. The
    /// slots stay taken meanwhile: a crash still re-sends at most `concurrency` documents.
    private var batchWindowEnd: Timestamp? {
        guard let oldestPendingAt, !isShuttingDown, case .up = health, !inFlight.isEmpty else {
            return nil
        }
        return oldestPendingAt.adding(seconds: settings.batchWindowSeconds)
    }

    /// One timer for everything that waits on time: a commit's backoff, the next probe, the next
    /// due job. Armed only while something waits; an idle daemon has none.
    private mutating func updateTimer(now: Timestamp, _ actions: inout [Action]) {
        var wanted: Timestamp?
        if !isShuttingDown {
            if case .backingOff(let until) = commit {
                wanted = until
            } else if case .idle = commit, !pendingOutcomes.isEmpty, let end = batchWindowEnd {
                wanted = end
            } else if case .down(let outage) = health {
                if outage.phase == .waiting { wanted = outage.nextProbeAt }
            } else if !mayHaveDueWork, let nextDue {
                wanted = nextDue
            }
        }
        guard wanted != armedAt else { return }
        // A timer due within moments stays as it is when the wanted instant is later or gone: it
        // fires once for nothing, which is cheaper than re-arming it for every batch (each arm or
        // disarm is a system call and a wake-up of Dispatch's timer thread). `timerFired`
        // re-evaluates everything, so an early fire is harmless.
        if let armedAt, armedAt <= now.adding(seconds: Self.lazyTimerHorizonSeconds), wanted.map({ $0 > armedAt }) ?? true {
            return
        }
        armedAt = wanted
        actions.append(wanted.map { .armTimer(at: $0) } ?? .disarmTimer)
    }

    /// How soon an armed timer must be due to be left in place (see `updateTimer`).
    static let lazyTimerHorizonSeconds = 0.05

    static func power2(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, min(exponent, 30)) { result *= 2 }
        return result
    }
}
