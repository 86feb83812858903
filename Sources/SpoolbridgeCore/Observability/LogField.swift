/// Metadata keys that name the same thing in every log line, so that `journalctl -u spoolbridge JOB_ID=42`
/// shows one job's whole story. The journal handler turns `job-id` into the field `JOB_ID`; the stderr
/// handler prints `job-id=42`. Docs/operations.md, "Journal fields", lists them.
public enum LogField {
    /// The outbox's job id (`spoolbridge jobs`): JOB_ID.
    public static let jobID = "job-id"
    /// CUPS's job-uuid of a job handed over by the backend: CUPS_JOB_UUID.
    public static let cupsJobUUID = "cups-job-uuid"
    /// The cloud's id of a delivered document: DOCUMENT_UUID.
    public static let documentUUID = "document-uuid"
    /// The cloud port the job goes to: PORT.
    public static let port = "port"
    /// The HTTP status the cloud answered, when it answered: HTTP_STATUS.
    public static let httpStatus = "http-status"
    /// A catalogued event (`LogMessageID`): MESSAGE_ID, explained by `journalctl -x`.
    public static let messageID = "message-id"
}

/// The events an admin acts on, each with a fixed journal MESSAGE_ID explained in the catalog
/// (`systemd/spoolbridge.catalog`, installed to /usr/lib/systemd/catalog/).
public enum LogMessageID {
    /// A job failed for good; its file is in the failed folder.
    public static let jobFailed = "260812dff1744df9bdb1ecaa6cf49205"
    /// The cloud stopped answering; deliveries are held.
    public static let cloudUnreachable = "93c4bc1ac9924747bdb426741771b8dc"
    /// The cloud answers again; delivery resumed.
    public static let cloudReachable = "cee83503ce0c4309840b8ecac2c81ead"
    /// The spool's free space fell below spool.min_free_mb; new files are held back.
    public static let spoolFull = "fb78b93e39f1413fa99eccacebe533ff"
    /// The spool has space again; intake resumed.
    public static let spoolRecovered = "604d0b9c11b84a0d94e8e2e31b8d6b84"
    /// The cloud refused the device's token (reserved for device registration; not sent yet).
    public static let deviceTokenInvalid = "cfdc3c70f0b3445cb2f7e2cff22ed52a"

    public static let all = [jobFailed, cloudUnreachable, cloudReachable, spoolFull, spoolRecovered, deviceTokenInvalid]
}
