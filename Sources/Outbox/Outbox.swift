import Foundation
import GRDB
import GRDBSQLite  // sqlite3_file_control, for the persistent WAL
import SpoolbridgeCore

/// The durable queue where ingest and delivery meet: one SQLite file (WAL) for the job rows and one
/// payload file per job. Every promise to a source ("accepted") is made only after the payload and
/// its directory are flushed and the row is committed. No SQL lives outside this target.
///
/// The API is synchronous and may block on fsync: call it from a Dispatch queue or through
/// `perform(_:)`, never directly from the cooperative thread pool.
public final class Outbox: Sendable {
    public let layout: SpoolLayout
    /// Documents larger than this fail before any upload (`spool.max_document_mb`).
    public let maxDocumentBytes: Int64
    /// Below this much free space, nothing new is accepted (`spool.min_free_mb`).
    public let minFreeBytes: Int64
    public let retryPolicy: RetryPolicy
    /// Signalled whenever a job becomes due; delivery waits on it.
    public let newWork = WorkSignal()
    /// Open `watch(_:)`es, told about every committed change of their job.
    let jobWatches = JobWatchRegistry()
    /// Rows of jobs on their way as last written, so claims and outcomes need not decode them again.
    let knownRows = KnownRows()
    let database: any DatabaseWriter
    let clock: @Sendable () -> Timestamp
    private let ioQueue = DispatchQueue(label: "spoolbridge.outbox.io", attributes: .concurrent)

    /// Opens (creating and migrating when needed) the outbox in `directory`.
    public init(
        directory: String, maxDocumentBytes: Int64 = 200 << 20, minFreeBytes: Int64 = 512 << 20,
        retryPolicy: RetryPolicy = RetryPolicy(), clock: @escaping @Sendable () -> Timestamp = Outbox.systemClock
    ) throws(OutboxError) {
        self.layout = SpoolLayout(directory: directory)
        self.maxDocumentBytes = maxDocumentBytes
        self.minFreeBytes = minFreeBytes
        self.retryPolicy = retryPolicy
        self.clock = clock
        // Jobs are other people's documents: the spool is 0700 and everything in it 0600.
        for path in [layout.directory, layout.payloads, layout.incoming, layout.failed] {
            try Durability.makeDirectory(path, mode: 0o700)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Keep -wal and -shm when the last connection closes: their space is then allocated once, and
        // the daemon (and `status`) can open the outbox again on a spool whose disk has filled up.
        configuration.prepareDatabase { db in
            var persist: Int32 = 1
            _ = sqlite3_file_control(db.sqliteConnection, nil as UnsafePointer<CChar>?, SQLITE_FCNTL_PERSIST_WAL, &persist)
            // 256 KiB of page cache per connection (SQLite's default is 2 MiB): the hot pages are the
            // due-job index and the newest rows; a cache that grows with the table is memory that
            // grows with the months (Benchmarks/soak.sh).
            try db.execute(sql: "PRAGMA cache_size = -256")
        }
        // The daemon reads little (status, health, a CUPS wait): two readers beside the writer.
        configuration.maximumReaderCount = 2
        // An existing spool keeps its mode otherwise (best effort: it may belong to another user).
        chmod(layout.directory, 0o700)
        do {
            database = try DatabasePool(path: layout.database, configuration: configuration)
            // FULL: a commit is on disk when it returns, which is what "accepted" means. Set on the
            // writer after the pool is open: GRDB sets NORMAL when it switches the file to WAL.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Schema.migrator.migrate(database)
            // Whatever the process umask: the rows describe other people's documents.
            for suffix in ["", "-wal", "-shm"] { chmod(layout.database + suffix, 0o600) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw OutboxError(.diskFull, "cannot open the outbox database \(layout.database): the disk is full; free space on the spool's file system (df -h \(layout.directory))")
        } catch {
            throw OutboxError(.database, "cannot open the outbox database \(layout.database): \(error)")
        }
    }

    /// Opens an existing outbox for reading only (`status`, `jobs`): creates nothing, migrates
    /// nothing, and is safe beside a running daemon.
    public static func openReadOnly(
        directory: String, maxDocumentBytes: Int64 = 200 << 20, minFreeBytes: Int64 = 512 << 20,
        retryPolicy: RetryPolicy = RetryPolicy()
    ) throws(OutboxError) -> Outbox {
        let layout = SpoolLayout(directory: directory)
        guard access(layout.database, F_OK) == 0 else {
            throw OutboxError(.notInitialized,
                              "no outbox at \(layout.database) yet: `spoolbridge run` creates it on its first start")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let database: DatabaseQueue
        do {
            database = try DatabaseQueue(path: layout.database, configuration: configuration)
            guard try database.read({ try Schema.migrator.hasCompletedMigrations($0) }) else {
                throw OutboxError(.notInitialized,
                                  "the outbox \(layout.database) is from another version of spoolbridge; "
                                    + "start the daemon once (`spoolbridge run`) to bring it up to date")
            }
        } catch let error as OutboxError {
            throw error
        } catch {
            throw OutboxError(.database, "cannot read the outbox database \(layout.database): \(error)")
        }
        return Outbox(layout: layout, database: database, maxDocumentBytes: maxDocumentBytes,
                      minFreeBytes: minFreeBytes, retryPolicy: retryPolicy, clock: systemClock)
    }

    private init(layout: SpoolLayout, database: any DatabaseWriter, maxDocumentBytes: Int64, minFreeBytes: Int64,
                 retryPolicy: RetryPolicy, clock: @escaping @Sendable () -> Timestamp) {
        self.layout = layout
        self.database = database
        self.maxDocumentBytes = maxDocumentBytes
        self.minFreeBytes = minFreeBytes
        self.retryPolicy = retryPolicy
        self.clock = clock
    }

    public static let systemClock: @Sendable () -> Timestamp = {
        Timestamp(secondsSince1970: Date().timeIntervalSince1970)
    }

    /// The outbox's clock: what it stamps rows with and compares due times to.
    public var now: Timestamp { clock() }

    /// Runs blocking outbox work off the cooperative thread pool.
    public func perform<T: Sendable>(_ work: @escaping @Sendable (Outbox) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            ioQueue.async {
                continuation.resume(with: Result { try work(self) })
            }
        }
    }

    // MARK: Space

    /// Free bytes on the spool's file system, for the unprivileged user.
    public func freeBytes() -> Int64? {
        var info = statvfs()
        guard statvfs(layout.directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// False while the spool's free space is under `spool.min_free_mb`: sources must keep their files.
    public func hasFreeSpace() -> Bool {
        hasFreeSpace(for: 0)
    }

    /// Whether `bytes` more can be stored and still leave `spool.min_free_mb` free. The floor is the
    /// outbox's own headroom: with it, results can always be recorded and delivered payloads
    /// disposed of, which is what frees space again.
    public func hasFreeSpace(for bytes: Int64) -> Bool {
        guard let free = freeBytes() else { return true }
        return free - bytes >= minFreeBytes
    }

    /// The file system (st_dev) the payloads live on: a file already on it is claimed by a rename,
    /// which needs no space.
    var payloadDevice: UInt64? {
        var info = stat()
        return stat(layout.payloads, &info) == 0 ? UInt64(info.st_dev) : nil
    }

    // MARK: Reading

    public func job(_ id: JobID) throws(OutboxError) -> Job? {
        try read { db in try JobRecord.fetchOne(db, key: id.rawValue)?.job }
    }

    /// Jobs newest first, optionally only those in `states`.
    public func jobs(states: Set<JobState>? = nil, limit: Int = 100) throws(OutboxError) -> [Job] {
        try read { db in
            var request = JobRecord.order(JobRecord.Columns.id.desc).limit(limit)
            if let states {
                request = request.filter(states.map(\.rawValue).contains(JobRecord.Columns.state))
            }
            return try request.fetchAll(db).map(\.job)
        }
    }

    /// Where a failed job's payload was put.
    public func failedPath(of id: JobID) throws(OutboxError) -> String? {
        try read { db in try JobRecord.fetchOne(db, key: id.rawValue)?.failedPath }
    }

    /// When the earliest queued job is due; nil when nothing is queued.
    public func nextDueTime() throws(OutboxError) -> Timestamp? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM job WHERE state = 'queued'")
                .map(Timestamp.init(millisecondsSince1970:))
        }
    }

    // MARK: Database plumbing

    func read<T>(_ body: (Database) throws -> T) throws(OutboxError) -> T {
        do {
            return try database.read(body)
        } catch let error as OutboxError {
            throw error
        } catch {
            throw OutboxError(.database, "reading the outbox \(layout.database) failed: \(error)")
        }
    }

    /// One transaction. Every write in the outbox goes through here.
    func write<T>(_ body: (Database) throws -> T) throws(OutboxError) -> T {
        do {
            return try database.write(body)
        } catch let error as OutboxError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw OutboxError(.diskFull, "the outbox database \(layout.database) cannot grow: the disk is full; free space on the spool's file system (df -h \(layout.directory))")
        } catch {
            throw OutboxError(.database, "writing the outbox \(layout.database) failed: \(error)")
        }
    }
}
