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
    /// When the most recent delivery still in the outbox was recorded (pruning forgets old ones).
    public var lastDelivery: Timestamp?

    public init(
        counts: [JobState: Int], oldestQueuedSince: Timestamp?, lastFailure: Job?, oldestUpload: Job?, freeBytes: Int64?,
        lastDelivery: Timestamp?
    ) {
        self.counts = counts
        self.oldestQueuedSince = oldestQueuedSince
        self.lastFailure = lastFailure
        self.oldestUpload = oldestUpload
        self.freeBytes = freeBytes
        self.lastDelivery = lastDelivery
    }
}

/// The SQL behind `status` and the watchdog's health check. Each is answered from an index
/// (schema v2), so its cost follows the jobs in flight or one folder's jobs, never the whole history;
/// OutboxTests check the query plans.
enum StatusQueries {
    /// A scan of the covering index on state; the table stays small because finished jobs are pruned.
    static let countsByState = "SELECT state, COUNT(*) AS n FROM job GROUP BY state"
    /// Only unfinished jobs are visited (index job_due).
    static let oldestUnfinished = "SELECT MIN(createdAt) FROM job WHERE state IN ('queued', 'uploading', 'receiving')"
    /// The newest entry of the partial index job_last_failure.
    static let lastFailure = "SELECT * FROM job WHERE lastError IS NOT NULL ORDER BY updatedAt DESC LIMIT 1"
    /// The upload in flight the longest (index job_state_age).
    static let oldestUpload = "SELECT * FROM job WHERE state = 'uploading' ORDER BY updatedAt LIMIT 1"
    /// The newest delivery: the end of index job_state_age's 'delivered' range.
    static let lastDelivery = "SELECT MAX(updatedAt) FROM job WHERE state = 'delivered'"
    /// A range of the covering index job_source_path: the jobs of files from one folder (and below it).
    static let countsInFolder = """
        SELECT state, COUNT(*) AS n FROM job
        WHERE sourcePath IS NOT NULL AND sourcePath >= ? AND sourcePath < ?
        GROUP BY state
        """
}

extension Outbox {
    public func summary() throws(OutboxError) -> OutboxSummary {
        let free = freeBytes()
        return try read { db in
            let oldest = try Int64.fetchOne(db, sql: StatusQueries.oldestUnfinished)
            let lastFailure = try JobRecord.fetchOne(db, sql: StatusQueries.lastFailure)?.job
            let oldestUpload = try JobRecord.fetchOne(db, sql: StatusQueries.oldestUpload)?.job
            let lastDelivery = try Int64.fetchOne(db, sql: StatusQueries.lastDelivery)
            return OutboxSummary(
                counts: try Self.countsByState(db, sql: StatusQueries.countsByState),
                oldestQueuedSince: oldest.map(Timestamp.init(millisecondsSince1970:)),
                lastFailure: lastFailure, oldestUpload: oldestUpload, freeBytes: free,
                lastDelivery: lastDelivery.map(Timestamp.init(millisecondsSince1970:)))
        }
    }

    /// Jobs per state of the files taken from the hot folder at `folder` (and its subfolders).
    public func jobCounts(inHotFolder folder: String) throws(OutboxError) -> [JobState: Int] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        // Every path below `prefix` sorts before `prefix` with its final "/" raised to "0", the next byte.
        let end = String(prefix.dropLast()) + "0"
        return try read { db in
            try Self.countsByState(db, sql: StatusQueries.countsInFolder, arguments: [prefix, end])
        }
    }

    private static func countsByState(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
        }
        return counts
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
            if transition.payload == .restoreFromFailed, record.job.kind == .upload {
                try restoreFromFailedFolder(record)
            }
            record.failedPath = nil
            try record.save(transition.job, db)
            try db.execute(sql: "UPDATE job SET failedPath = NULL WHERE id = ?", arguments: [id.rawValue])
            return transition.job
        }
        jobWatches.notify([id])
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
        unlink(FailedFolder.notePath(for: failedPath))
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
        jobWatches.notify([id])
        return transition.job
    }
}
