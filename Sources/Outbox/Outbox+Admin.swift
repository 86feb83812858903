import Foundation
import GRDB
import SpoolbridgeCore

/// What `spoolbridge status` shows.
public struct OutboxSummary: Sendable, Hashable {
    public var counts: [JobState: Int]
    public var oldestQueuedSince: Timestamp?
    public var lastFailure: Job?
    public var freeBytes: Int64?
}

extension Outbox {
    public func summary() throws(OutboxError) -> OutboxSummary {
        let free = freeBytes()
        return try read { db in
            var counts: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            let oldest = try Int64.fetchOne(db, sql: "SELECT MIN(createdAt) FROM job WHERE state IN ('queued', 'uploading', 'receiving')")
            let lastFailure = try JobRecord.filter(sql: "lastError IS NOT NULL")
                .order(JobRecord.Columns.updatedAt.desc).fetchOne(db)?.job
            return OutboxSummary(
                counts: counts, oldestQueuedSince: oldest.map(Timestamp.init(millisecondsSince1970:)),
                lastFailure: lastFailure, freeBytes: free)
        }
    }

    /// `spoolbridge retry ID`: a waiting job is due now; a failed or cancelled one is queued again
    /// with its payload brought back from the failed folder.
    @discardableResult
    public func retry(_ id: JobID) throws(OutboxError) -> Job {
        guard let job = try self.job(id) else { throw OutboxError(.notFound, "no job \(id) in the outbox (see `spoolbridge jobs`)") }
        let transition = try Self.transition(.retryRequested, job, clock(), retryPolicy)
        let payload = layout.payload(job.payloadName)
        // The move to the failed folder may never have happened (folder unwritable, crash): then
        // the payload is still in the spool and there is nothing to bring back.
        if transition.payload == .restoreFromFailed && !Durability.exists(payload) {
            guard let failedPath = try failedPath(of: id), Durability.exists(failedPath) else {
                throw OutboxError(.notFound, "job \(id)'s file is no longer in the failed folder; drop it into the hot folder again")
            }
            _ = try Durability.move(failedPath, to: payload)
            try Durability.fsyncDirectory(layout.payloads)
            unlink(FailedFolder.notePath(for: failedPath))
        }
        try write { db in
            guard var record = try JobRecord.fetchOne(db, key: id.rawValue) else { return }
            record.update(from: transition.job)
            record.failedPath = nil
            try record.update(db)
        }
        newWork.signal()
        return transition.job
    }

    /// `spoolbridge cancel ID`: a job not yet uploading is cancelled; its payload goes to the failed folder.
    @discardableResult
    public func cancel(_ id: JobID) throws(OutboxError) -> Job {
        let now = clock()
        let transition: JobLifecycle.Transition = try write { db in
            guard var record = try JobRecord.fetchOne(db, key: id.rawValue) else {
                throw OutboxError(.notFound, "no job \(id) in the outbox (see `spoolbridge jobs`)")
            }
            let transition = try Self.transition(.cancelRequested, record.job, now, retryPolicy)
            try record.save(transition.job, db)
            return transition
        }
        disposePayload(of: transition.job, transition.payload)
        return transition.job
    }
}
