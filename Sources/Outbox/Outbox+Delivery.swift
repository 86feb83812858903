import Foundation
import GRDB
import SpoolbridgeCore

/// How one upload ended, as delivery reports it.
public enum DeliveryOutcome: Sendable, Hashable {
    case delivered(JobID, documentUUID: String)
    case failed(JobID, DeliveryFailure)
    /// Never worth an upload (over the size limit, payload unreadable): fail it at once.
    case rejected(JobID, DeliveryFailure)

    public var jobID: JobID {
        switch self {
        case .delivered(let id, _), .failed(let id, _), .rejected(let id, _): id
        }
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

    /// Records finished uploads and takes the next due jobs in one transaction: a burst costs one
    /// commit (one fsync) per round of the delivery loop, not two per job.
    ///
    /// A crash after the commit and before the payloads are disposed of leaves them in `payloads/`:
    /// recovery sees final jobs there and finishes the disposal.
    public func completeAndClaim(
        _ outcomes: [DeliveryOutcome], claimLimit: Int
    ) throws(OutboxError) -> (completed: [Job], claimed: [Job]) {
        guard !outcomes.isEmpty || claimLimit > 0 else { return ([], []) }
        let now = clock()
        let (transitions, claimed) = try write { db in
            (try record(outcomes, db: db, now: now), try claimDue(limit: claimLimit, db: db, now: now))
        }
        for transition in transitions {
            disposePayload(of: transition.job, transition.payload)
        }
        // After the disposal: a watcher told "failed" finds the file in the failed folder already.
        jobWatches.notify(transitions.map(\.job.id))
        return (transitions.map(\.job), claimed)
    }

    private func record(_ outcomes: [DeliveryOutcome], db: Database, now: Timestamp) throws -> [JobLifecycle.Transition] {
        try outcomes.compactMap { outcome in
            guard var record = try JobRecord.fetchOne(db, key: outcome.jobID.rawValue) else { return nil }
            let event: JobLifecycle.Event
            switch outcome {
            case .delivered(_, let uuid): event = .delivered(documentUUID: uuid)
            case .failed(_, let failure): event = .attemptFailed(failure, jitter: Double.random(in: 0..<1))
            case .rejected(_, let failure): event = .rejected(failure)
            }
            let transition = try Self.transition(event, record.job, now, retryPolicy)
            try record.save(transition.job, db)
            return transition
        }
    }

    private func claimDue(limit: Int, db: Database, now: Timestamp) throws -> [Job] {
        guard limit > 0 else { return [] }
        let due = try JobRecord
            .filter(JobRecord.Columns.state == JobState.queued.rawValue)
            .filter(JobRecord.Columns.nextAttemptAt <= now.millisecondsSince1970)
            .order(JobRecord.Columns.nextAttemptAt, JobRecord.Columns.id)
            .limit(limit)
            .fetchAll(db)
        return try due.map { record in
            var record = record
            let transition = try Self.transition(.attemptStarted, record.job, now, retryPolicy)
            try record.save(transition.job, db)
            return transition.job
        }
    }

    /// Carries out what the state machine decided for the payload. Failures here are not lost
    /// work: the payload stays in `payloads/` and recovery tries again at the next start.
    func disposePayload(of job: Job, _ disposition: JobLifecycle.PayloadDisposition) {
        let payload = layout.payload(job.payloadName)
        switch disposition {
        case .keep, .restoreFromFailed:
            return
        case .release:
            if case .hotFolder(let origin) = job.source, let archive = origin.archiveDirectory {
                _ = try? FailedFolder.place(fileAt: payload, named: job.request.title, in: archive, note: nil)
            } else {
                unlink(payload)
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
            else { return }
            _ = try? write { db in
                try db.execute(sql: "UPDATE job SET failedPath = ? WHERE id = ?", arguments: [placed.file, job.id.rawValue])
            }
        }
    }
}
