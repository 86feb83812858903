import Metrics
import Outbox
import SpoolbridgeCore

/// Records delivery's series through swift-metrics (the daemon bootstraps the Prometheus backend;
/// without one, every call is a no-op). Names and labels: `MetricName`.
struct DeliveryMetrics: Sendable {
    let ports: PortLabel

    init(ports: PortLabel = .shared) {
        self.ports = ports
    }

    /// One upload (or rejection before sending) finished.
    func uploadFinished(_ job: Job, outcome: DeliveryOutcome, duration: Duration) {
        let label: String
        switch outcome {
        case .delivered: label = "delivered"
        case .failed: label = "failed"
        case .deferred, .rejected: return  // nothing was measured that says anything about uploads
        }
        Timer(label: MetricName.uploadDuration, dimensions: [("outcome", label)]).recordInterval(duration)
        guard case .delivered = outcome else { return }
        Recorder(label: MetricName.uploadSize, aggregate: true).record(job.payloadSize)
        Counter(label: MetricName.uploadedBytes).increment(by: Int(clamping: job.payloadSize))
    }

    func report(_ notice: DeliveryStateMachine.Notice) {
        switch notice {
        case .jobUpdated(let job, _):
            let dimensions = [("source", job.source.kind), ("port", ports.label(for: job.request.portname))]
            switch job.state {
            case .delivered:
                Counter(label: MetricName.delivered, dimensions: dimensions).increment()
                Gauge(label: MetricName.lastDelivery).record(job.updatedAt.secondsSince1970)
            case .failed:
                Counter(label: MetricName.failed, dimensions: dimensions).increment()
            case .queued where job.lastError != nil && job.nextAttemptAt != job.updatedAt:
                Counter(label: MetricName.retries).increment()
            default:
                break
            }
        case .cloudUnavailable:
            Counter(label: MetricName.cloudOutages).increment()
            Gauge(label: MetricName.cloudUp).record(0)
        case .cloudAvailable:
            Gauge(label: MetricName.cloudUp).record(1)
        case .outcomeSkipped, .commitFailing, .commitRecovered, .authenticationRefused, .authenticationAccepted:
            break
        }
    }
}

extension Metrics.Timer {
    func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
