/// The one state machine of a job. Pure: it takes the job and an event and returns the next job
/// plus what must happen to its payload; the outbox persists the result, delivery causes the events.
public enum JobLifecycle {
    public enum Event: Sendable, Hashable {
        /// The payload is durably in the spool.
        case payloadStored
        /// Delivery took the job for an upload.
        case attemptStarted
        /// The cloud accepted the document. The uuid is nil when the cloud said 200 but its answer
        /// could not be read: the document is there all the same, and sending it again would duplicate it.
        case delivered(documentUUID: String?)
        /// The upload failed; `jitter` in 0..<1 picks the backoff.
        case attemptFailed(DeliveryFailure, jitter: Double)
        /// The cloud is unavailable (an outage, not this document): the job waits for the cloud, not
        /// for a backoff of its own. Due again at once; delivery holds it until the cloud answers.
        /// With an `.unauthorized` failure (the cloud refused our token) the attempt is given back and
        /// `delivery.max_age_hours` does not apply: nothing is failed for an auth problem.
        case attemptDeferred(DeliveryFailure)
        /// Delivery took the job but never sent it (the cloud went down, or the daemon is stopping).
        case claimReleased
        /// The job can never be uploaded (too large, payload missing, source vanished…).
        case rejected(DeliveryFailure)
        /// The daemon died while the job was uploading or receiving: run it again.
        case crashRecovered
        /// `spoolbridge retry`: a failed or waiting job is due now, with a fresh attempt count.
        case retryRequested
        /// `spoolbridge cancel`.
        case cancelRequested
    }

    /// What the outbox must do with the payload after persisting the new state.
    public enum PayloadDisposition: Sendable, Hashable {
        case keep
        /// Delivered: archive it (hot folders with `archive`) or delete it.
        case release
        /// Failed or cancelled: move it to the failed folder with the reason beside it.
        case moveToFailed(reason: String)
        /// Retried after failing: bring the payload back from the failed folder.
        case restoreFromFailed
    }

    public struct Transition: Sendable, Hashable {
        public var job: Job
        public var payload: PayloadDisposition
    }

    public struct InvalidTransition: Error, Sendable, Hashable, CustomStringConvertible {
        public var jobID: JobID
        public var state: JobState
        public var event: String
        public var description: String { "job \(jobID): cannot \(event) while \(state.rawValue)" }
    }

    public static func apply(
        _ event: Event, to job: Job, at now: Timestamp, policy: RetryPolicy
    ) throws(InvalidTransition) -> Transition {
        var next = job
        next.updatedAt = now
        func invalid(_ name: String) -> InvalidTransition {
            InvalidTransition(jobID: job.id, state: job.state, event: name)
        }
        /// Past `delivery.max_age_hours`, a transient failure becomes the job's last.
        func expired(_ failure: DeliveryFailure) -> DeliveryFailure? {
            guard let maxAge = policy.maxAgeSeconds, now.seconds(since: job.createdAt) >= maxAge else { return nil }
            let hours = Int((maxAge / 3600).rounded())
            return DeliveryFailure(
                kind: .permanent, httpStatus: failure.httpStatus,
                message: "still undeliverable after \(hours) h (delivery.max_age_hours); last error: \(failure)")
        }
        func fail(_ failure: DeliveryFailure) -> Transition {
            next.state = .failed
            next.lastError = failure
            next.nextAttemptAt = nil
            return Transition(job: next, payload: .moveToFailed(reason: failure.description))
        }

        switch event {
        case .payloadStored:
            guard job.state == .receiving else { throw invalid("store payload") }
            next.state = .queued
            next.nextAttemptAt = now
            return Transition(job: next, payload: .keep)

        case .attemptStarted:
            guard job.state == .queued else { throw invalid("start an upload") }
            next.state = .uploading
            next.attempts += 1
            return Transition(job: next, payload: .keep)

        case .delivered(let documentUUID):
            guard job.state == .uploading else { throw invalid("mark delivered") }
            next.state = .delivered
            next.documentUUID = documentUUID
            next.nextAttemptAt = nil
            next.lastError = nil
            return Transition(job: next, payload: .release)

        case .attemptFailed(let failure, let jitter):
            guard job.state == .uploading else { throw invalid("record a failed upload") }
            if failure.kind == .permanent { return fail(failure) }
            if let expired = expired(failure) { return fail(expired) }
            next.state = .queued
            next.lastError = failure
            let delay = policy.delay(
                afterAttempt: job.attempts, retryAfterSeconds: failure.retryAfterSeconds, jitter: jitter)
            next.nextAttemptAt = now.adding(seconds: delay)
            return Transition(job: next, payload: .keep)

        case .attemptDeferred(let failure):
            guard job.state == .uploading else { throw invalid("defer an upload") }
            if failure.kind == .unauthorized {
                next.attempts = max(0, job.attempts - 1)
            } else if let expired = expired(failure) {
                return fail(expired)
            }
            next.state = .queued
            next.lastError = failure
            next.nextAttemptAt = now
            return Transition(job: next, payload: .keep)

        case .claimReleased:
            guard job.state == .uploading else { throw invalid("release a claim") }
            next.state = .queued
            next.attempts = max(0, job.attempts - 1)  // it was never sent
            next.nextAttemptAt = now
            return Transition(job: next, payload: .keep)

        case .rejected(let failure):
            guard !job.state.isFinal else { throw invalid("reject") }
            return fail(failure)

        case .crashRecovered:
            guard job.state == .uploading else { throw invalid("recover") }
            next.state = .queued
            next.nextAttemptAt = now
            return Transition(job: next, payload: .keep)

        case .retryRequested:
            switch job.state {
            case .queued:
                next.nextAttemptAt = now
                return Transition(job: next, payload: .keep)
            case .failed, .cancelled:
                next.state = .queued
                next.attempts = 0
                next.nextAttemptAt = now
                next.createdAt = now  // a fresh max-age window for the admin's retry
                return Transition(job: next, payload: .restoreFromFailed)
            default:
                throw invalid("retry")
            }

        case .cancelRequested:
            // Not while receiving: the claim that owns the row finishes it within milliseconds.
            guard job.state == .queued else { throw invalid("cancel") }
            next.state = .cancelled
            next.nextAttemptAt = nil
            return Transition(job: next, payload: .moveToFailed(reason: "cancelled by an administrator"))
        }
    }
}
