import GRDB
import Synchronization

/// Rows this outbox wrote for jobs still on their way (queued or uploading), as it last wrote them.
///
/// Claiming a job and recording its outcome both need its row; reading it back means decoding its
/// JSON columns again, which cost more than the rest of the transition. A row kept here is used
/// only when the table still holds exactly what was written (state, attempts, due time and stamp,
/// read by a cheap cached query): a change by anyone else (an admin's command in another process,
/// a rolled-back transaction) makes it fall back to reading the row. Nothing here is a source of
/// truth, and at most `capacity` rows are kept, so a backlog of any size costs bounded memory.
///
/// The rule this rests on: whoever changes a row of a job on its way changes its `updatedAt` too
/// (state transitions do; so does `releaseAfterUpload`, which changes only the task).
final class KnownRows: Sendable {
    static let capacity = 2048

    private let rows = Mutex<[Int64: JobRecord]>([:])

    func remember(_ record: JobRecord) {
        guard let id = record.id else { return }
        rows.withLock { rows in
            if rows.count < Self.capacity || rows[id] != nil { rows[id] = record }
        }
    }

    func forget(_ id: Int64) {
        _ = rows.withLock { $0.removeValue(forKey: id) }
    }

    /// The kept row of `id`, when the database still agrees with it.
    func current(_ id: Int64, db: Database) throws -> JobRecord? {
        guard rows.withLock({ $0[id] != nil }) else { return nil }
        let statement = try db.cachedStatement(
            sql: "SELECT id, state, attempts, nextAttemptAt, updatedAt FROM job WHERE id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [id]) else { return nil }
        return matching(row)
    }

    /// The kept row for a row of `id, state, attempts, nextAttemptAt, updatedAt` (in that order),
    /// when they agree.
    func matching(_ row: Row) -> JobRecord? {
        let id: Int64 = row[0]
        guard let kept = rows.withLock({ $0[id] }) else { return nil }
        let state: String = row[1]
        let attempts: Int = row[2]
        let nextAttemptAt: Int64? = row[3]
        let updatedAt: Int64 = row[4]
        guard state == kept.state, attempts == kept.attempts, nextAttemptAt == kept.nextAttemptAt,
              updatedAt == kept.updatedAt else { return nil }
        return kept
    }
}
