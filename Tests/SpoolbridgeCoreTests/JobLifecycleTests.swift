import SpoolbridgeCore
import Testing

@Suite("JobLifecycle: valid transitions")
struct JobLifecycleTransitionTests {
    let policy = RetryPolicy(baseDelaySeconds: 2, maxDelaySeconds: 300, maxAgeSeconds: 3600)
    let now = t0.plus(10)

    func apply(_ event: JobLifecycle.Event, _ job: Job) throws -> JobLifecycle.Transition {
        try JobLifecycle.apply(event, to: job, at: now, policy: policy)
    }

    @Test func storedPayloadQueuesTheJobDueNow() throws {
        let result = try apply(.payloadStored, makeJob(.receiving))
        #expect(result.job.state == .queued)
        #expect(result.job.nextAttemptAt == now)
        #expect(result.job.updatedAt == now)
        #expect(result.job.attempts == 0)
        #expect(result.payload == .keep)
    }

    @Test func startingAnUploadCountsTheAttempt() throws {
        let result = try apply(.attemptStarted, makeJob(.queued, attempts: 2))
        #expect(result.job.state == .uploading)
        #expect(result.job.attempts == 3)
        #expect(result.payload == .keep)
    }

    @Test func deliveryKeepsTheDocumentUUIDAndReleasesThePayload() throws {
        let failure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "busy")
        let result = try apply(.delivered(documentUUID: "doc-42"), makeJob(.uploading, attempts: 2, lastError: failure))
        #expect(result.job.state == .delivered)
        #expect(result.job.documentUUID == "doc-42")
        #expect(result.job.nextAttemptAt == nil)
        #expect(result.job.lastError == nil)
        #expect(result.job.attempts == 2)
        #expect(result.payload == .release)
    }

    @Test func permanentFailureFailsAtOnceWithTheServerMessage() throws {
        let failure = DeliveryFailure(kind: .permanent, httpStatus: 400, message: "Unknown port 'Finance'")
        let result = try apply(.attemptFailed(failure, jitter: 0.5), makeJob(.uploading, attempts: 1))
        #expect(result.job.state == .failed)
        #expect(result.job.lastError == failure)
        #expect(result.job.nextAttemptAt == nil)
        guard case .moveToFailed(let reason) = result.payload else {
            Issue.record("expected moveToFailed, got \(result.payload)")
            return
        }
        #expect(reason.contains("400"))
        #expect(reason.contains("Unknown port 'Finance'"))
    }

    @Test(arguments: [1, 2, 3, 5, 12])
    func transientFailureQueuesAfterThePolicyDelay(attempts: Int) throws {
        let failure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "maintenance")
        let jitter = 0.75
        let result = try apply(.attemptFailed(failure, jitter: jitter), makeJob(.uploading, attempts: attempts))
        let delay = policy.delay(afterAttempt: attempts, retryAfterSeconds: nil, jitter: jitter)
        #expect(delay > 0)
        #expect(result.job.state == .queued)
        #expect(result.job.nextAttemptAt == now.plus(delay))
        #expect(result.job.lastError == failure)
        #expect(result.job.attempts == attempts, "a failure does not count a second attempt")
        #expect(result.payload == .keep)
    }

    @Test func transientFailureHonoursRetryAfter() throws {
        let failure = DeliveryFailure(kind: .transient, httpStatus: 429, message: "slow down", retryAfterSeconds: 120)
        let result = try apply(.attemptFailed(failure, jitter: 0.1), makeJob(.uploading, attempts: 1))
        #expect(result.job.state == .queued)
        #expect(result.job.nextAttemptAt == now.plus(120))
    }

    @Test func transientFailureOfAJobPastMaxAgeFailsItNamingTheSetting() throws {
        let failure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "down for maintenance")
        let old = makeJob(.uploading, attempts: 40, createdAt: now.plus(-3600))
        let result = try apply(.attemptFailed(failure, jitter: 0.5), old)
        #expect(result.job.state == .failed)
        #expect(result.job.nextAttemptAt == nil)
        let error = try #require(result.job.lastError)
        #expect(error.kind == .permanent)
        #expect(error.httpStatus == 503)
        #expect(error.message.contains("delivery.max_age_hours"))
        #expect(error.message.contains("down for maintenance"), "the last cloud error stays visible")
        guard case .moveToFailed(let reason) = result.payload else {
            Issue.record("expected moveToFailed, got \(result.payload)")
            return
        }
        #expect(reason.contains("delivery.max_age_hours"))
    }

    @Test func transientFailureJustUnderMaxAgeIsRetried() throws {
        let failure = DeliveryFailure(kind: .transient, message: "connection reset")
        let young = makeJob(.uploading, attempts: 3, createdAt: now.plus(-3599))
        #expect(try apply(.attemptFailed(failure, jitter: 0.5), young).job.state == .queued)
    }

    @Test func anOutageDefersTheJobDueNowKeepingTheAttempt() throws {
        let failure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "down")
        let result = try apply(.attemptDeferred(failure), makeJob(.uploading, attempts: 3))
        #expect(result.job.state == .queued)
        #expect(result.job.nextAttemptAt == now)
        #expect(result.job.attempts == 3)
        #expect(result.job.lastError == failure)
    }

    @Test func aRefusedTokenGivesTheAttemptBackAndNeverExpiresTheJob() throws {
        let refused = DeliveryFailure(kind: .unauthorized, httpStatus: 401, message: "the cloud refused the access token")
        let result = try apply(.attemptDeferred(refused), makeJob(.uploading, attempts: 3))
        #expect(result.job.state == .queued)
        #expect(result.job.attempts == 2, "an auth problem does not count against the job")
        #expect(result.job.nextAttemptAt == now)
        #expect(result.job.lastError == refused, "jobs --json shows why the job waits")
        #expect(result.payload == .keep)

        // Past delivery.max_age_hours an outage fails the job; an auth problem never does.
        let old = makeJob(.uploading, attempts: 1, createdAt: now.plus(-7200))
        #expect(try apply(.attemptDeferred(DeliveryFailure(kind: .transient, message: "refused")), old).job.state == .failed)
        let held = try apply(.attemptDeferred(refused), old)
        #expect(held.job.state == .queued)
        #expect(held.job.attempts == 0)
    }

    @Test func withoutMaxAgeAJobRetriesForever() throws {
        let forever = RetryPolicy(baseDelaySeconds: 2, maxDelaySeconds: 300, maxAgeSeconds: nil)
        let failure = DeliveryFailure(kind: .transient, message: "timeout")
        let ancient = makeJob(.uploading, attempts: 1000, createdAt: now.plus(-365 * 86_400))
        let result = try JobLifecycle.apply(.attemptFailed(failure, jitter: 0.5), to: ancient, at: now, policy: forever)
        #expect(result.job.state == .queued)
    }

    @Test(arguments: [JobState.receiving, .queued, .uploading])
    func rejectionFailsAnyLiveJob(state: JobState) throws {
        let failure = DeliveryFailure(kind: .permanent, message: "the document is over 200 MB (spool.max_document_mb)")
        let result = try apply(.rejected(failure), makeJob(state))
        #expect(result.job.state == .failed)
        #expect(result.job.lastError == failure)
        #expect(result.job.nextAttemptAt == nil)
        #expect(result.payload == .moveToFailed(reason: failure.description))
    }

    @Test func crashDuringUploadQueuesTheJobDueNow() throws {
        let result = try apply(.crashRecovered, makeJob(.uploading, attempts: 2))
        #expect(result.job.state == .queued)
        #expect(result.job.nextAttemptAt == now)
        #expect(result.job.attempts == 2)
        #expect(result.payload == .keep)
    }

    @Test func retryingAWaitingJobMakesItDueNowKeepingItsAttempts() throws {
        var waiting = makeJob(.queued, attempts: 4)
        waiting.nextAttemptAt = now.plus(250)
        let result = try apply(.retryRequested, waiting)
        #expect(result.job.state == .queued)
        #expect(result.job.nextAttemptAt == now)
        #expect(result.job.attempts == 4)
        #expect(result.payload == .keep)
    }

    @Test(arguments: [JobState.failed, .cancelled])
    func retryingAFinishedJobQueuesItAfreshAndRestoresThePayload(state: JobState) throws {
        let failure = DeliveryFailure(kind: .permanent, httpStatus: 404, message: "no such user")
        let result = try apply(.retryRequested, makeJob(state, attempts: 9, createdAt: now.plus(-7200), lastError: failure))
        #expect(result.job.state == .queued)
        #expect(result.job.attempts == 0)
        #expect(result.job.nextAttemptAt == now)
        #expect(result.job.createdAt == now, "the retried job gets a fresh max-age window")
        #expect(result.payload == .restoreFromFailed)
    }

    @Test(arguments: [JobState.queued])
    func cancellingMovesThePayloadToTheFailedFolder(state: JobState) throws {
        let result = try apply(.cancelRequested, makeJob(state))
        #expect(result.job.state == .cancelled)
        #expect(result.job.nextAttemptAt == nil)
        guard case .moveToFailed(let reason) = result.payload else {
            Issue.record("expected moveToFailed, got \(result.payload)")
            return
        }
        #expect(reason.contains("cancel"))
    }

    @Test func identityAndContentSurviveEveryTransition() throws {
        let job = makeJob(.queued, attempts: 1)
        let uploading = try apply(.attemptStarted, job).job
        let delivered = try apply(.delivered(documentUUID: "u"), uploading).job
        for next in [uploading, delivered] {
            #expect(next.id == job.id)
            #expect(next.source == job.source)
            #expect(next.request == job.request)
            #expect(next.payloadName == job.payloadName)
            #expect(next.payloadSize == job.payloadSize)
        }
    }
}

@Suite("JobLifecycle: invalid transitions")
struct JobLifecycleInvalidTransitionTests {
    /// The allowed source states of each event, written out independently of the implementation.
    static let events: [(name: String, event: JobLifecycle.Event, allowed: Set<JobState>)] = [
        ("payloadStored", .payloadStored, [.receiving]),
        ("attemptStarted", .attemptStarted, [.queued]),
        ("delivered", .delivered(documentUUID: "x"), [.uploading]),
        ("attemptFailed", .attemptFailed(DeliveryFailure(kind: .transient, message: "reset"), jitter: 0.5), [.uploading]),
        ("rejected", .rejected(DeliveryFailure(kind: .permanent, message: "too large")), [.receiving, .queued, .uploading]),
        ("crashRecovered", .crashRecovered, [.uploading]),
        ("retryRequested", .retryRequested, [.queued, .failed, .cancelled]),
        ("cancelRequested", .cancelRequested, [.queued]),
    ]

    @Test(arguments: JobState.allCases)
    func everyEventIsAcceptedOnlyFromItsStates(state: JobState) {
        for (name, event, allowed) in Self.events {
            let job = makeJob(state)
            do {
                _ = try JobLifecycle.apply(event, to: job, at: t0.plus(1), policy: RetryPolicy())
                #expect(allowed.contains(state), "\(name) from \(state) should throw")
            } catch {
                #expect(!allowed.contains(state), "\(name) from \(state) should be allowed, threw \(error)")
                #expect(error.jobID == job.id)
                #expect(error.state == state)
                #expect(error.description.contains(state.rawValue))
                #expect(error.description.contains("job \(job.id)"))
            }
        }
    }

    @Test func deliveringAQueuedJobThrows() {
        #expect(throws: JobLifecycle.InvalidTransition.self) {
            try JobLifecycle.apply(.delivered(documentUUID: "x"), to: makeJob(.queued), at: t0, policy: RetryPolicy())
        }
    }

    @Test func aDeliveredJobCannotBeCancelledOrRetried() {
        for event in [JobLifecycle.Event.cancelRequested, .retryRequested, .attemptStarted] {
            #expect(throws: JobLifecycle.InvalidTransition.self) {
                try JobLifecycle.apply(event, to: makeJob(.delivered), at: t0, policy: RetryPolicy())
            }
        }
    }
}
