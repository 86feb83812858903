/// A document on its way to the cloud: what the outbox stores and the state machine moves.
public struct Job: Sendable, Hashable, Codable, Identifiable {
    public var id: JobID
    public var state: JobState
    public var source: JobSource
    /// What the job asks of the cloud; `.upload` for documents (the only kind before schema v3).
    public var task: JobTask
    public var kind: JobKind { task.kind }
    public var request: DocumentRequest
    /// The payload's file name inside the spool's payload directory.
    public var payloadName: String
    public var payloadSize: Int64
    public var attempts: Int
    /// When a queued job is next due; nil once final.
    public var nextAttemptAt: Timestamp?
    public var lastError: DeliveryFailure?
    /// The cloud document's `uuid`, once delivered.
    public var documentUUID: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: JobID, state: JobState, source: JobSource, request: DocumentRequest,
        payloadName: String, payloadSize: Int64, attempts: Int = 0, nextAttemptAt: Timestamp?,
        lastError: DeliveryFailure? = nil, documentUUID: String? = nil,
        createdAt: Timestamp, updatedAt: Timestamp, task: JobTask = .upload
    ) {
        self.task = task
        self.id = id
        self.state = state
        self.source = source
        self.request = request
        self.payloadName = payloadName
        self.payloadSize = payloadSize
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.documentUUID = documentUUID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
