import GRDB
import Synchronization

/// The rows of the jobs delivery holds (claimed, `uploading`), as the outbox last wrote them.
///
/// Recording an outcome needs the job's row; reading it back whole means decoding its JSON columns
/// again, which cost more than the rest of the transition. A row kept here is used only after one
/// cheap, cached query shows the table still holds exactly what was written (state, attempts, due
/// time and stamp): a change by anyone else (an admin's `cancel` from another process, a rolled-back
/// transaction) makes it fall back to reading the row. Nothing here is a source of truth.
final class ClaimedRows: Sendable {
    private let rows = Mutex<[Int64: JobRecord]>([:])

    func remember(_ record: JobRecord) {
        guard let id = record.id else { return }
        rows.withLock { $0[id] = record }
    }

    func forget(_ id: Int64) {
        _ = rows.withLock { $0.removeValue(forKey: id) }
    }

    /// The kept row of `id`, when the database still agrees with it.
    func current(_ id: Int64, db: Database) throws -> JobRecord? {
        guard let kept = rows.withLock({ $0[id] }) else { return nil }
        let statement = try db.cachedStatement(
            sql: "SELECT state, attempts, nextAttemptAt, updatedAt FROM job WHERE id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [id]) else { return nil }
        let state: String = row[0]
        let attempts: Int = row[1]
        let nextAttemptAt: Int64? = row[2]
        let updatedAt: Int64 = row[3]
        guard state == kept.state, attempts == kept.attempts, nextAttemptAt == kept.nextAttemptAt,
              updatedAt == kept.updatedAt else { return nil }
        return kept
    }
}
