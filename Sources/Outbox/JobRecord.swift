import GRDB
import SpoolbridgeCore

/// One row of the `job` table. Nested values (source, options, last error) are stored as JSON.
struct JobRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "job"

    var id: Int64?
    var state: String
    var sourceKind: String
    var sourceKey: String?
    var source: JobSource
    var username: String
    var portname: String
    var title: String
    var options: PrintOptions
    var payloadName: String
    var payloadSize: Int64
    var attempts: Int
    var nextAttemptAt: Int64?
    var lastError: DeliveryFailure?
    var documentUUID: String?
    var failedPath: String?
    /// A hot-folder job's original path (from `source`), for per-folder counts; nil for CUPS jobs.
    var sourcePath: String?
    var createdAt: Int64
    var updatedAt: Int64
    /// `JobKind`'s name (schema v3); "upload" for older rows.
    var kind: String
    /// The kind's payload (schema v3); nil for older rows, which are plain uploads.
    var task: JobTask?

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let state = Column(CodingKeys.state)
        static let sourceKey = Column(CodingKeys.sourceKey)
        static let payloadName = Column(CodingKeys.payloadName)
        static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        static let createdAt = Column(CodingKeys.createdAt)
        static let updatedAt = Column(CodingKeys.updatedAt)
        static let kind = Column(CodingKeys.kind)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    init(newJobWith request: DocumentRequest, source: JobSource, state: JobState,
         payloadName: String, payloadSize: Int64, now: Timestamp, task: JobTask = .upload) {
        self.kind = task.kind.rawValue
        self.task = task
        self.id = nil
        self.state = state.rawValue
        self.sourceKind = source.kind
        self.sourceKey = source.idempotencyKey
        self.source = source
        self.username = request.username
        self.portname = request.portname
        self.title = request.title
        self.options = request.options
        self.payloadName = payloadName
        self.payloadSize = payloadSize
        self.attempts = 0
        self.nextAttemptAt = state == .queued ? now.millisecondsSince1970 : nil
        self.lastError = nil
        self.documentUUID = nil
        self.failedPath = nil
        if case .hotFolder(let origin) = source { self.sourcePath = origin.originalPath } else { self.sourcePath = nil }
        self.createdAt = now.millisecondsSince1970
        self.updatedAt = now.millisecondsSince1970
    }

    var job: Job {
        Job(
            id: JobID(id ?? 0),
            state: JobState(rawValue: state) ?? .failed,
            source: source,
            request: DocumentRequest(username: username, portname: portname, title: title, options: options),
            payloadName: payloadName, payloadSize: payloadSize, attempts: attempts,
            nextAttemptAt: nextAttemptAt.map(Timestamp.init(millisecondsSince1970:)),
            lastError: lastError, documentUUID: documentUUID,
            createdAt: Timestamp(millisecondsSince1970: createdAt),
            updatedAt: Timestamp(millisecondsSince1970: updatedAt),
            task: task ?? .upload)
    }

    /// Copies the state machine's result into the row.
    mutating func update(from job: Job) {
        state = job.state.rawValue
        attempts = job.attempts
        nextAttemptAt = job.nextAttemptAt?.millisecondsSince1970
        lastError = job.lastError
        documentUUID = job.documentUUID
        createdAt = job.createdAt.millisecondsSince1970
        updatedAt = job.updatedAt.millisecondsSince1970
    }
}
