import Metrics
import Observability
import Outbox
import SpoolbridgeCore
import Testing

/// The Prometheus text through swift-metrics: names, labels, units.
struct OpsMetricsTests {
    @Test func outboxGaugesAndRecordedSeriesAppearInTheExposition() {
        _ = OpsMetrics.registry
        let summary = OutboxSummary(counts: [.queued: 3, .delivered: 5], oldestQueuedSince: nil, lastFailure: nil,
                                    oldestUpload: nil, freeBytes: 1234, lastDelivery: nil)
        OpsMetrics.record(summary, now: Timestamp(millisecondsSince1970: 0))
        Counter(label: MetricName.delivered, dimensions: [("source", "hotfolder"), ("port", "P")]).increment()
        Metrics.Timer(label: MetricName.uploadDuration, dimensions: [("outcome", "delivered")]).recordMilliseconds(300)
        let text = String(decoding: OpsMetrics.exposition(), as: UTF8.self)
        #expect(text.contains("spoolbridge_jobs{state=\"queued\"} 3"), "\(text)")
        #expect(text.contains("spoolbridge_jobs{state=\"failed\"} 0"))
        #expect(text.contains("spoolbridge_outbox_rows 8"))
        #expect(text.contains("spoolbridge_spool_free_bytes 1234"))
        #expect(text.contains("# TYPE spoolbridge_jobs_delivered_total counter"))
        #expect(text.contains("spoolbridge_jobs_delivered_total{source=\"hotfolder\",port=\"P\"} 1"))
        #expect(text.contains("spoolbridge_upload_duration_seconds_bucket{outcome=\"delivered\",le=\"0.5\"} 1"), "\(text)")
        #expect(text.contains("spoolbridge_upload_duration_seconds_bucket{outcome=\"delivered\",le=\"0.25\"} 0"))
    }
}
