import Outbox
import SpoolbridgeCore

/// The hold rules of `DeliveryStateMachine`: when the cloud is down, or refuses our token, delivery
/// holds every job queued and probes one request at a time with backoff; an answer ends the hold.
extension DeliveryStateMachine {
    mutating func cloudFailed(_ failure: DeliveryFailure, trial id: JobID, now: Timestamp, _ actions: inout [Action]) {
        switch health {
        case .up:
            let reason = HoldReason(failure)
            var outage = Outage(since: now, reason: reason, lastFailure: failure, failures: 0, nextProbeAt: now, phase: .waiting)
            scheduleProbe(&outage, after: failure, now: now)
            health = .down(outage)
            actions.append(.report(Self.holdNotice(reason, failure)))
        case .down(var outage):
            outage.lastFailure = failure
            // Only the trial's failure counts: others were in flight when the outage began.
            if case .trial(let trial) = outage.phase, trial == id {
                scheduleProbe(&outage, after: failure, now: now)
                updateReason(&outage, after: failure, &actions)
            }
            health = .down(outage)
        }
    }

    mutating func cloudAnswered(now: Timestamp, _ actions: inout [Action]) {
        guard case .down(let outage) = health else { return }
        health = .up
        mayHaveDueWork = true
        let seconds = now.seconds(since: outage.since)
        actions.append(.report(outage.reason == .authentication
            ? .authenticationAccepted(refusedSeconds: seconds) : .cloudAvailable(unavailableSeconds: seconds)))
    }

    /// An outage that turns into a refusal (or back) is a new state for the admin: reported once.
    func updateReason(_ outage: inout Outage, after failure: DeliveryFailure, _ actions: inout [Action]) {
        let reason = HoldReason(failure)
        guard reason != outage.reason else { return }
        outage.reason = reason
        actions.append(.report(Self.holdNotice(reason, failure)))
    }

    static func holdNotice(_ reason: HoldReason, _ failure: DeliveryFailure) -> Notice {
        switch reason {
        case .cloudUnavailable: .cloudUnavailable(failure)
        case .authentication: .authenticationRefused(failure)
        }
    }

    mutating func scheduleProbe(_ outage: inout Outage, after failure: DeliveryFailure, now: Timestamp) {
        outage.failures += 1
        outage.lastFailure = failure
        let cap = failure.kind == .unauthorized ? settings.authProbeMaxSeconds : settings.probeMaxSeconds
        let ceiling = min(cap, settings.probeBaseSeconds * Self.power2(outage.failures - 1))
        var delay = ceiling * (0.5 + 0.5 * random.nextUnit())
        if let asked = failure.retryAfterSeconds, asked > delay { delay = min(asked, 3600) }
        outage.nextProbeAt = now.adding(seconds: delay)
        outage.phase = .waiting
    }

    /// Connection failures, deadlines, 5xx and 429 say the service (not this document) is the problem.
    public static func isOutage(_ failure: DeliveryFailure) -> Bool {
        guard failure.kind == .transient else { return false }
        guard let status = failure.httpStatus else { return true }
        return status >= 500 || status == 429
    }

    /// What holds delivery instead of counting against the job: an outage, or a refused token.
    public static func holdsDelivery(_ failure: DeliveryFailure) -> Bool {
        isOutage(failure) || failure.kind == .unauthorized
    }

    /// Whether the outcome proves the cloud answers (a local rejection proves nothing).
    static func cloudAnswered(_ outcome: DeliveryOutcome) -> Bool {
        switch outcome {
        case .delivered: true
        case .failed(_, let failure): failure.httpStatus != nil
        case .deferred, .rejected: false
        }
    }
}
