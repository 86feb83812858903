/// The Prometheus series spoolbridge exports (Docs/operations.md, "Metrics"), in one place so the
/// code that records and the docs that explain them agree. Counters end in `_total`, units are base
/// units (seconds, bytes). Labels are few and bounded: `state` (the job states), `source`
/// (`hotfolder`, `cups`), `port` (configured ports; see `PortLabel`), `outcome`.
public enum MetricName {
    /// Gauge, label `state`: jobs in the outbox per state.
    public static let jobs = "spoolbridge_jobs"
    /// Gauge: rows in the outbox (all states).
    public static let outboxRows = "spoolbridge_outbox_rows"
    /// Gauge: age of the oldest job not yet delivered or failed (0 when none waits).
    public static let oldestQueuedSeconds = "spoolbridge_oldest_queued_seconds"
    /// Gauge: free bytes on the spool's file system.
    public static let spoolFreeBytes = "spoolbridge_spool_free_bytes"
    /// Counter, labels `source`, `port`: jobs accepted into the outbox.
    public static let ingested = "spoolbridge_jobs_ingested_total"
    /// Counter, labels `source`, `port`: jobs the cloud accepted.
    public static let delivered = "spoolbridge_jobs_delivered_total"
    /// Counter, labels `source`, `port`: jobs that failed for good.
    public static let failed = "spoolbridge_jobs_failed_total"
    /// Counter: uploads that failed and will be tried again (outages excluded: those are deferred).
    public static let retries = "spoolbridge_upload_retries_total"
    /// Histogram, label `outcome` (`delivered`, `failed`): how long one upload took.
    public static let uploadDuration = "spoolbridge_upload_duration_seconds"
    /// Histogram: size of each delivered document.
    public static let uploadSize = "spoolbridge_upload_size_bytes"
    /// Counter: bytes of documents the cloud accepted.
    public static let uploadedBytes = "spoolbridge_uploaded_bytes_total"
    /// Counter: times the cloud became unreachable.
    public static let cloudOutages = "spoolbridge_cloud_outages_total"
    /// Gauge: 1 while the cloud answers, 0 during an outage.
    public static let cloudUp = "spoolbridge_cloud_up"
    /// Gauge: Unix time of the last delivery (absent until the first one since the start).
    public static let lastDelivery = "spoolbridge_last_delivery_timestamp_seconds"

    /// Buckets of `uploadDuration`, in seconds.
    public static let uploadDurationBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    /// Buckets of `uploadSize`, in bytes: 10 KB to 200 MB (the cloud's limit).
    public static let uploadSizeBuckets: [Double] = [10_000, 100_000, 1_000_000, 5_000_000, 20_000_000, 50_000_000, 100_000_000, 200_000_000]
}
