import Metrics
import SpoolbridgeCore

/// `spoolbridge_jobs_ingested_total{source, port}`: a job accepted into the outbox (a duplicate
/// handoff of the same CUPS job is not counted again).
enum IngestMetrics {
    static func ingested(source: String, port: String) {
        Counter(label: MetricName.ingested, dimensions: [("source", source), ("port", PortLabel.shared.label(for: port))]).increment()
    }
}
