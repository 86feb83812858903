import Foundation
import GRDB
import SpoolbridgeCore

/// What `spoolbridge status` shows.
public struct OutboxSummary: Sendable, Hashable {
    public var counts: [JobState: Int]
    public var oldestQueuedSince: Timestamp?
    public var lastFailure: Job?
    /// The job uploading the longest (claimed for sending; `updatedAt` is when it was taken).
    public var oldestUpload: Job?
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
            let oldestUpload = try JobRecord.filter(JobRecord.Columns.state == JobState.uploading.rawValue)
                .order(JobRecord.Columns.updatedAt).fetchOne(db)?.job
            return OutboxSummary(
                counts: counts, oldestQueuedSince: oldest.map(Timestamp.init(millisecondsSince1970:)),
                lastFailure: lastFailure, oldestUpload: oldestUpload, freeBytes: free)
        }
    }

    /// `spoolbridge retry ID`: a waiting job is due now; a failed or cancelled one is queued again
    /// with its payload brought back from the failed folder. The whole change happens inside one
    /// transaction, so it cannot race the daemon's claim of the same job.
    ///
    /// The payload is moved back before the commit: a crash in between leaves a failed row with its
    /// payload in the spool, which recovery returns to the failed folder (nothing lost, retry again).
    @discardableResult
    public func retry(_ id: JobID) throws(OutboxError) -> Job {
        let now = clock()
        let job: Job = try write { db in
            guard var record = try JobRecord.fetchOne(db, key: id.rawValue) else {
                throw OutboxError(.notFound, "no job \(id) in the outbox (see `spoolbridge jobs`)")
            }
            let transition = try Self.transition(.retryRequested, record.job, now, retryPolicy)
            if transition.payload == .restoreFromFailed {
                try restoreFromFailedFolder(record)
            }
            record.failedPath = nil
            try record.save(transition.job, db)
            try db.execute(sql: "UPDATE job SET failedPath = NULL WHERE id = ?", arguments: [id.rawValue])
            return transition.job
        }
        newWork.signal()
        return job
    }

    /// Brings a failed job's file back into `payloads/`. The move to the failed folder may never have
    /// happened (folder unwritable, crash): then the payload is still in the spool.
    private func restoreFromFailedFolder(_ record: JobRecord) throws(OutboxError) {
        let payload = layout.payload(record.payloadName)
        guard !Durability.exists(payload) else { return }
        guard let failedPath = record.failedPath, Durability.exists(failedPath) else {
            throw OutboxError(.notFound,
                              "job \(record.id ?? 0)'s file is no longer in the failed folder; drop it into the hot folder again")
        }
        _ = try Durability.move(failedPath, to: payload)
        try Durability.fsyncDirectory(layout.payloads)
        unlink(failedPath + ".error.txt")
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
