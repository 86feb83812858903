import Outbox
import SpoolbridgeCore

/// The vocabulary of `DeliveryStateMachine`: its settings, the events it takes, the actions it
/// returns and what it reports.
extension DeliveryStateMachine {
    public struct Settings: Sendable, Hashable {
        public var concurrency: Int
        /// Jobs claimed ahead of free slots, so one commit serves many uploads.
        public var prefetch: Int
        public var commitRetryBaseSeconds: Double = 0.25
        public var commitRetryMaxSeconds: Double = 30
        public var probeBaseSeconds: Double = 0.5
        /// The longest wait between probes of a down cloud: also the worst delay before delivery
        /// resumes after an outage. A probe is one small GET.
        public var probeMaxSeconds: Double = 2

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
        case commitFailing(reason: String, retryInSeconds: Double)
        case commitRecovered(failedAttempts: Int)
    }

    public enum Health: Sendable, Hashable {
        case up
        case down(Outage)
    }

    public struct Outage: Sendable, Hashable {
        public enum Phase: Sendable, Hashable {
            /// Until `nextProbeAt`.
            case waiting
            case probing
            /// The probe answered; one job is being sent (or claimed to be sent).
            case trial(JobID?)
        }

        public var since: Timestamp
        public var lastFailure: DeliveryFailure
        /// Failed probes and trials so far: the probe backoff's exponent.
        public var failures: Int
        public var nextProbeAt: Timestamp
        public var phase: Phase
    }
}
