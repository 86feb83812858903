import Metrics
import Outbox
import Prometheus
import SpoolbridgeCore

/// The Prometheus side of swift-metrics: one registry per process, bootstrapped on first use, and the
/// gauges that are read from the outbox when `/metrics` is scraped rather than kept up to date.
public enum OpsMetrics {
    /// Bootstraps swift-metrics with the Prometheus factory once (swift-metrics allows one bootstrap
    /// per process) and returns its registry.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[MetricName.uploadDuration] = MetricName.uploadDurationBuckets.map {
            .nanoseconds(Int64($0 * 1e9))
        }
        factory.valueHistogramBuckets[MetricName.uploadSize] = MetricName.uploadSizeBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Sets the outbox gauges from a fresh summary (nil: the outbox could not be read; they keep their values).
    public static func record(_ summary: OutboxSummary?, now: Timestamp) {
        guard let summary else { return }
        var rows = 0
        for state in JobState.allCases {
            let count = summary.counts[state] ?? 0
            rows += count
            Gauge(label: MetricName.jobs, dimensions: [("state", state.rawValue)]).record(count)
        }
        Gauge(label: MetricName.outboxRows).record(rows)
        Gauge(label: MetricName.oldestQueuedSeconds).record(summary.oldestQueuedSince.map { max(0, now.seconds(since: $0)) } ?? 0)
        if let free = summary.freeBytes {
            Gauge(label: MetricName.spoolFreeBytes).record(free)
        }
    }

    /// The text exposition of everything recorded so far.
    public static func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
