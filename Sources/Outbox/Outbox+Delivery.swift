import Foundation
import GRDB
import SpoolbridgeCore

/// How one attempt ended, as delivery reports it.
public enum DeliveryOutcome: Sendable, Hashable {
    /// The cloud accepted it; the uuid is nil when its answer could not be read.
    case delivered(JobID, documentUUID: String?)
    /// Failed: transient ones are retried after the job's own backoff, permanent ones fail the job.
    case failed(JobID, DeliveryFailure)
    /// The cloud is down (not this document's fault): queued again, due as soon as the cloud answers.
    case deferred(JobID, DeliveryFailure)
    /// Never worth an upload (over the size limit, payload unreadable): fail it at once.
    case rejected(JobID, DeliveryFailure)

    public var jobID: JobID {
        switch self {
        case .delivered(let id, _), .failed(let id, _), .deferred(let id, _), .rejected(let id, _): id
        }
    }
}

/// What one delivery commit did: the jobs as they now are, the jobs newly claimed, the outcomes
/// that could not be applied (the job changed meanwhile) and when the next queued job falls due.
public struct DeliveryCommit: Sendable, Hashable {
    public var completed: [Job]
    public var claimed: [Job]
    public var skipped: [SkippedOutcome]
    public var nextDue: Timestamp?
    /// Where the files of jobs that failed went (looked up for failures only), for the log.
    public var failedPlacements: [JobID: FailedPlacement]

    public init(completed: [Job] = [], claimed: [Job] = [], skipped: [SkippedOutcome] = [], nextDue: Timestamp? = nil,
                failedPlacements: [JobID: FailedPlacement] = [:]) {
        self.failedPlacements = failedPlacements
        self.completed = completed
        self.claimed = claimed
        self.skipped = skipped
        self.nextDue = nextDue
    }
}

/// An outcome the outbox did not apply, and why (e.g. an admin cancelled the job meanwhile).
public struct SkippedOutcome: Sendable, Hashable {
    public var jobID: JobID
    public var reason: String

    public init(jobID: JobID, reason: String) {
        self.jobID = jobID
        self.reason = reason
    }
}

extension Outbox {
    /// Takes up to `limit` due jobs for upload (queued → uploading, attempt counted) in one transaction.
    public func claimDueJobs(limit: Int) throws(OutboxError) -> [Job] {
        try completeAndClaim([], claimLimit: limit).claimed
    }

    /// The full path of a job's payload while it is in the spool.
    public func payloadPath(of job: Job) -> String {
        layout.payload(job.payloadName)
    }

    /// Records finished uploads in one transaction, then disposes of the payloads (archive, delete,
    /// or move to the failed folder). Returns the jobs as they now are.
    @discardableResult
    public func complete(_ outcomes: [DeliveryOutcome]) throws(OutboxError) -> [Job] {
        try completeAndClaim(outcomes, claimLimit: 0).completed
    }

    /// Records finished uploads, gives back claimed jobs that were never sent (`release`) and takes
    /// the next due jobs, in one transaction: a burst costs one commit (one fsync) per round of the
    /// delivery loop, not two per job.
    ///
    /// An outcome that no longer applies (the row is gone, or an admin moved the job on) is skipped
    /// and reported, never allowed to roll back the others. A crash after the commit and before the
    /// payloads are disposed of leaves them in `payloads/`: recovery finishes the disposal.
    public func completeAndClaim(
        _ outcomes: [DeliveryOutcome], release: [JobID] = [], claimLimit: Int
    ) throws(OutboxError) -> DeliveryCommit {
        guard !outcomes.isEmpty || !release.isEmpty || claimLimit > 0 else { return DeliveryCommit() }
        let now = clock()
        let (transitions, skipped, claimed, nextDue, followUps) = try write { db in
            var (transitions, skipped) = try record(outcomes, db: db, now: now)
            // Push queues: each delivered upload's release is queued in this same transaction.
            var followUps = 0
            for transition in transitions where try insertFollowUp(after: transition.job, db: db, now: now) {
                followUps += 1
            }
            let (released, skippedReleases) = try record(release.map { ($0, .claimReleased) }, db: db, now: now)
            transitions += released
            skipped += skippedReleases
            let claimed = try claimDue(limit: claimLimit, db: db, now: now)
            let nextDue = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(nextAttemptAt) FROM job WHERE state = 'queued'"))
            return (transitions, skipped, claimed, nextDue.map(Timestamp.init(millisecondsSince1970:)), followUps)
        }
        if followUps > 0 { newWork.signal() }
        disposePayloads(of: transitions)
        // After the disposal: a watcher told "failed" finds the file in the failed folder already.
        jobWatches.notify(transitions.map(\.job.id))
        return DeliveryCommit(completed: transitions.map(\.job), claimed: claimed, skipped: skipped, nextDue: nextDue)
    }

    private func record(_ outcomes: [DeliveryOutcome], db: Database, now: Timestamp) throws
        -> ([JobLifecycle.Transition], [SkippedOutcome])
    {
        try record(outcomes.map { outcome in
            let event: JobLifecycle.Event
            switch outcome {
            case .delivered(_, let uuid): event = .delivered(documentUUID: uuid)
            case .failed(_, let failure): event = .attemptFailed(failure, jitter: Double.random(in: 0..<1))
            case .deferred(_, let failure): event = .attemptDeferred(failure)
            case .rejected(_, let failure): event = .rejected(failure)
            }
            return (outcome.jobID, event)
        }, db: db, now: now)
    }

    private func record(_ events: [(JobID, JobLifecycle.Event)], db: Database, now: Timestamp) throws
        -> ([JobLifecycle.Transition], [SkippedOutcome])
    {
        var transitions: [JobLifecycle.Transition] = []
        var skipped: [SkippedOutcome] = []
        // Rows this outbox claimed and the table still agrees with need no decoding; the rest are
        // read in one query, not one per outcome.
        var records: [Int64: JobRecord] = [:]
        var unknown: [Int64] = []
        for (id, _) in events {
            if let kept = try knownRows.current(id.rawValue, db: db) {
                records[id.rawValue] = kept
            } else {
                unknown.append(id.rawValue)
            }
        }
        if !unknown.isEmpty {
            for record in try JobRecord.fetchAll(db, keys: unknown) { records[record.id ?? 0] = record }
        }
        for (id, event) in events {
            guard var record = records[id.rawValue] else {
                skipped.append(SkippedOutcome(jobID: id, reason: "job \(id) is no longer in the outbox"))
                continue
            }
            let transition: JobLifecycle.Transition
            do {
                transition = try JobLifecycle.apply(event, to: record.job, at: now, policy: retryPolicy)
            } catch {
                skipped.append(SkippedOutcome(jobID: id, reason: error.description))
                continue
            }
            try record.save(transition.job, db)
            records[id.rawValue] = record
            if transition.job.state.isFinal { knownRows.forget(id.rawValue) } else { knownRows.remember(record) }
            transitions.append(transition)
        }
        return (transitions, skipped)
    }

    private func claimDue(limit: Int, db: Database, now: Timestamp) throws -> [Job] {
        guard limit > 0 else { return [] }
        // Raw and cached: built through the query interface, this statement was compiled (and
        // authorized, and its region computed) again for every claim. Only the columns that show
        // whether a kept row is current are read; the rest of the rows only when they are not.
        let statement = try db.cachedStatement(sql: """
            SELECT id, state, attempts, nextAttemptAt, updatedAt FROM job
            WHERE state = 'queued' AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT ?
            """)
        var due: [JobRecord?] = []
        var unknown: [Int64: Int] = [:]
        for row in try Row.fetchAll(statement, arguments: [now.millisecondsSince1970, limit]) {
            let kept = knownRows.matching(row)
            if kept == nil { unknown[row[0]] = due.count }
            due.append(kept)
        }
        if !unknown.isEmpty {
            for record in try JobRecord.fetchAll(db, keys: Array(unknown.keys)) {
                if let id = record.id, let index = unknown[id] { due[index] = record }
            }
        }
        return try due.compactMap { $0 }.map { record in
            var record = record
            let transition = try Self.transition(.attemptStarted, record.job, now, retryPolicy)
            try record.save(transition.job, db)
            knownRows.remember(record)
            return transition.job
        }
    }

    /// Disposes of the payloads of a commit's transitions (see `disposePayloads(_:)`).
    func disposePayloads(of transitions: [JobLifecycle.Transition]) {
        disposePayloads(transitions.map { ($0.job, $0.payload) })
    }

    /// Carries out what the state machine decided for one payload (recovery, admin commands).
    func disposePayload(of job: Job, _ disposition: JobLifecycle.PayloadDisposition) {
        disposePayloads([(job, disposition)])
    }

    /// Carries out what the state machine decided for the payloads. Failures here are not lost
    /// work: the payload stays in `payloads/` and recovery tries again at the next start.
    ///
    /// Archiving is one rename per file and flushes nothing, like the unlink of a payload that has no
    /// archive: the job was recorded delivered before, and a rename the kernel had not yet written
    /// when the machine stopped leaves the payload in `payloads/`, which recovery archives again.
    /// (A flush of each archive folder per commit was a second fsync in every round of the delivery
    /// loop, during which its slots stay taken.)
    func disposePayloads(_ disposals: [(Job, JobLifecycle.PayloadDisposition)]) {
        var archivesMade: Set<String> = []  // each archive folder is made (if missing) once per batch
        for (job, disposition) in disposals {
            guard job.kind == .upload else { continue }  // records, releases and card swipes have no file
            let payload = layout.payload(job.payloadName)
            switch disposition {
            case .keep, .restoreFromFailed:
                continue
            case .release:
                guard case .hotFolder(let origin) = job.source, let archive = origin.archiveDirectory else {
                    unlink(payload)
                    continue
                }
                if archivesMade.insert(archive).inserted { try? Durability.makeDirectory(archive, mode: 0o700) }
                if !FailedFolder.archiveQuickly(fileAt: payload, named: job.request.title, in: archive) {
                    _ = try? FailedFolder.place(fileAt: payload, named: job.request.title, in: archive, note: nil, flush: false)
                }
            case .moveToFailed(let reason):
                let directory: String
                if case .hotFolder(let origin) = job.source, let failed = origin.failedDirectory {
                    directory = failed
                } else {
                    directory = layout.failed
                }
                let note = FailedFolder.Note(job: job, reason: reason)
                guard let placed = try? FailedFolder.place(fileAt: payload, named: job.request.title, in: directory, note: note)
                else { continue }
                _ = try? write { db in
                    try db.execute(sql: "UPDATE job SET failedPath = ? WHERE id = ?", arguments: [placed.file, job.id.rawValue])
                }
            }
        }
    }
}
