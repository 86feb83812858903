import GRDB
import SpoolbridgeCore

extension Outbox {
    /// Forgets delivered and cancelled jobs last changed before `cutoff` (`spool.keep_finished_days`),
    /// so the outbox does not grow with its history. Failed jobs stay until an admin retries or
    /// cancels them. A row whose payload is still in the spool stays too: its disposal (archive,
    /// failed folder) has not finished, and recovery would otherwise take the file for an orphan
    /// and delete it.
    ///
    /// Deletes in batches of `batchSize`, one transaction each, so delivery and the hot folders never
    /// wait long for the writer. Returns how many jobs were forgotten.
    @discardableResult
    public func pruneFinished(olderThan cutoff: Timestamp, batchSize: Int = 500) throws(OutboxError) -> Int {
        var pruned = 0
        for state in [JobState.delivered, .cancelled] {
            // Walks the index job_state_age from the oldest row on; rows kept back are stepped over.
            var after = (updatedAt: Int64.min, id: Int64.min)
            while true {
                let batch = try write { db in
                    try pruneBatch(state: state, before: cutoff, after: after, limit: max(1, batchSize), db: db)
                }
                pruned += batch.deleted
                guard batch.visited == max(1, batchSize), let last = batch.last else { break }
                after = last
            }
        }
        return pruned
    }

    private func pruneBatch(
        state: JobState, before cutoff: Timestamp, after: (updatedAt: Int64, id: Int64), limit: Int, db: Database
    ) throws -> (deleted: Int, visited: Int, last: (updatedAt: Int64, id: Int64)?) {
        let rows = try Row.fetchAll(db, sql: PruneQueries.batch, arguments: [
            state.rawValue, cutoff.millisecondsSince1970, after.updatedAt, after.updatedAt, after.id, limit,
        ])
        var removable: [Int64] = []
        for row in rows where !Durability.exists(layout.payload(row["payloadName"])) {
            removable.append(row["id"])
        }
        if !removable.isEmpty { try JobRecord.deleteAll(db, keys: removable) }
        let last = rows.last.map { (updatedAt: $0["updatedAt"] as Int64, id: $0["id"] as Int64) }
        return (removable.count, rows.count, last)
    }
}

enum PruneQueries {
    /// One batch of finished jobs of one state, oldest first, after the last one seen: a range of the
    /// index job_state_age (which ends in the rowid, so the order is the index's own).
    static let batch = """
        SELECT id, updatedAt, payloadName FROM job
        WHERE state = ? AND updatedAt < ? AND (updatedAt > ? OR (updatedAt = ? AND id > ?))
        ORDER BY updatedAt, id LIMIT ?
        """
}
