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
        guard limit > 0 else { return [] }
        let now = clock()
        return try write { db in
            let due = try JobRecord
                .filter(JobRecord.Columns.state == JobState.queued.rawValue)
                .filter(JobRecord.Columns.nextAttemptAt <= now.millisecondsSince1970)
                .order(JobRecord.Columns.nextAttemptAt, JobRecord.Columns.id)
                .limit(limit)
                .fetchAll(db)
            return try due.map { record in
                var record = record
                let transition = try Self.transition(.attemptStarted, record.job, now, retryPolicy)
                record.update(from: transition.job)
                try record.update(db)
                return transition.job
            }
        }
    }

    /// The full path of a job's payload while it is in the spool.
    public func payloadPath(of job: Job) -> String {
        layout.payload(job.payloadName)
    }

    /// Records finished uploads in one transaction, then disposes of the payloads (archive, delete,
    /// or move to the failed folder). Returns the jobs as they now are.
    ///
    /// A crash after the commit and before the disposal leaves the payload in `payloads/`: recovery
    /// sees a final job there and finishes the disposal.
    @discardableResult
    public func complete(_ outcomes: [DeliveryOutcome]) throws(OutboxError) -> [Job] {
        guard !outcomes.isEmpty else { return [] }
        let now = clock()
        let transitions: [JobLifecycle.Transition] = try write { db in
            try outcomes.compactMap { outcome in
                guard var record = try JobRecord.fetchOne(db, key: outcome.jobID.rawValue) else { return nil }
                let event: JobLifecycle.Event
                switch outcome {
                case .delivered(_, let uuid): event = .delivered(documentUUID: uuid)
                case .failed(_, let failure): event = .attemptFailed(failure, jitter: Double.random(in: 0..<1))
                case .rejected(_, let failure): event = .rejected(failure)
                }
                let transition = try Self.transition(event, record.job, now, retryPolicy)
                record.update(from: transition.job)
                try record.update(db)
                return transition
            }
        }
        for transition in transitions {
            disposePayload(of: transition.job, transition.payload)
        }
        return transitions.map(\.job)
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
                try db.execute(sql: "UPDATE job SET failedPath = ? WHERE id = ?", arguments: [placed, job.id.rawValue])
            }
        }
    }
}
