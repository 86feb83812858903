/// Where a job is in its life. Stored by name in the outbox, shown by `spoolbridge jobs`.
///
///     receiving ─▶ queued ─▶ uploading ─▶ delivered
///                    ▲           │
///                    └─(retry)───┤
///                                └─▶ failed      (and any non-final state ─▶ cancelled)
public enum JobState: String, Sendable, Hashable, Codable, CaseIterable {
    /// The row is committed; the payload is being moved into the spool.
    case receiving
    /// Waiting for its next attempt (`nextAttemptAt`).
    case queued
    /// An upload is in flight.
    case uploading
    /// The cloud accepted it; `documentUUID` is set.
    case delivered
    /// Undeliverable: permanent error, too large, or too old. The payload went to a failed folder.
    case failed
    /// Cancelled by an admin. The payload went to a failed folder too.
    case cancelled

    public var isFinal: Bool {
        switch self {
        case .delivered, .failed, .cancelled: true
        case .receiving, .queued, .uploading: false
        }
    }
}
