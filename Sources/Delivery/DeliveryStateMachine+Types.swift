import Outbox
import SpoolbridgeCore

/// The vocabulary of `DeliveryStateMachine`: its settings, the events it takes, the actions it
/// returns and what it reports.
extension DeliveryStateMachine {
    public struct Settings: Sendable, Hashable {
        public var concurrency: Int
        /// Jobs claimed ahead of free slots, so one commit serves many uploads.
        public var prefetch: Int
        /// How long a result may wait for others to share its commit (see `startCommit`): each commit
        /// costs a flush of the database and of the archive folders, whatever it holds.
        public var batchWindowSeconds: Double = 0.005
        public var commitRetryBaseSeconds: Double = 0.25
        public var commitRetryMaxSeconds: Double = 30
        public var probeBaseSeconds: Double = 0.25
        /// The longest wait between probes of a down cloud: also the worst delay before delivery
        /// resumes after an outage (under a second, so the first queued document follows the
        /// cloud's return within one). A probe is one small GET: under 1.3 per second at the cap.
        public var probeMaxSeconds: Double = 0.8
        /// The same cap while the cloud refuses our token: a fix needs a refresh or an admin, and each
        /// probe may cost a refused request, so it waits longer. `credentialsChanged` probes at once.
        public var authProbeMaxSeconds: Double = 30

        public init(concurrency: Int) {
            self.concurrency = max(1, concurrency)
            self.prefetch = min(64, self.concurrency * 4)
        }
    }

    public enum Event: Sendable, Hashable {
        /// Jobs may have become due (new job, admin retry, start-up).
        case workMayBeDue
        case timerFired
        case sendFinished(DeliveryOutcome)
        /// The probe's answer: nil when the cloud answered.
        case probeFinished(DeliveryFailure?)
        case commitSucceeded(DeliveryCommit)
        case commitFailed(reason: String)
        /// `[delivery] concurrency` changed (a reload): more slots start sends at once; fewer let the
        /// requests in flight finish and send nothing new until the count is below the new limit.
        case concurrencyChanged(Int)
        /// The token source has a new token (a refresh, a new registration): an auth hold probes now
        /// instead of waiting out its backoff.
        case credentialsChanged
        case shutdownRequested
    }

    public enum Action: Sendable, Hashable {
        /// Record `outcomes`, give back `release`d claims and claim up to `claim` due jobs, in one
        /// transaction. Answer with `commitSucceeded` or `commitFailed`.
        case commit(outcomes: [DeliveryOutcome], release: [JobID], claim: Int)
        /// Send the job to the cloud; answer with `sendFinished`.
        case send(Job)
        /// Ask the cloud whether it answers; answer with `probeFinished`.
        case probe
        case armTimer(at: Timestamp)
        case disarmTimer
        case report(Notice)
    }

    /// What the service logs: one notice per change of state, and one per job that changed state.
    public enum Notice: Sendable, Hashable {
        case jobUpdated(Job, failedPlacement: FailedPlacement?)
        case outcomeSkipped(SkippedOutcome)
        case cloudUnavailable(DeliveryFailure)
        case cloudAvailable(unavailableSeconds: Double)
        /// The cloud refused our bearer token even after a refresh (`DeliveryFailure.Kind.unauthorized`):
        /// delivery holds like an outage, but the fix is the admin's (`spoolbridge device status`).
        case authenticationRefused(DeliveryFailure)
        /// A request was accepted again after an auth hold.
        case authenticationAccepted(refusedSeconds: Double)
        case commitFailing(reason: String, retryInSeconds: Double)
        case commitRecovered(failedAttempts: Int)
    }

    public enum Health: Sendable, Hashable {
        case up
        case down(Outage)
    }

    /// Why delivery holds: the cloud does not answer, or it answers but refuses our token.
    public enum HoldReason: Sendable, Hashable, CustomStringConvertible {
        case cloudUnavailable
        case authentication

        init(_ failure: DeliveryFailure) {
            self = failure.kind == .unauthorized ? .authentication : .cloudUnavailable
        }

        /// For logs, `status` and health: an admin must tell an auth hold from an outage at a glance.
        public var description: String {
            switch self {
            case .cloudUnavailable: "cloud unavailable: the cloud does not answer; delivery resumes when it does"
            case .authentication: "authentication: the cloud refused the device token; run `spoolbridge device status`"
            }
        }
    }

    /// A hold of delivery: a cloud outage or an auth refusal. Both hold every job queued and probe
    /// one request at a time with backoff.
    public struct Outage: Sendable, Hashable {
        public enum Phase: Sendable, Hashable {
            /// Until `nextProbeAt`.
            case waiting
            case probing
            /// The probe answered; one job is being sent (or claimed to be sent).
            case trial(JobID?)
        }

        public var since: Timestamp
        /// Follows the latest probe's or trial's failure; a change is reported.
        public var reason: HoldReason
        public var lastFailure: DeliveryFailure
        /// Failed probes and trials so far: the probe backoff's exponent.
        public var failures: Int
        public var nextProbeAt: Timestamp
        public var phase: Phase
    }
}
