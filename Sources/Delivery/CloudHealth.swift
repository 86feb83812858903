import Logging
import Outbox
import SpoolbridgeCore
import Synchronization

/// Whether the cloud looks reachable. While it does not, delivery sends one upload at a time as a
/// probe instead of letting every queued job fail against an outage; one log line on each change.
final class CloudHealth: Sendable {
    private let unhealthySince = Mutex<String?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    var isHealthy: Bool { unhealthySince.withLock { $0 == nil } }

    func observe(_ outcome: DeliveryOutcome) {
        switch outcome {
        case .delivered:
            let was = unhealthySince.withLock { state in
                defer { state = nil }
                return state
            }
            if was != nil { logger.notice("the cloud answers again; resuming full-speed delivery") }
        case .failed(_, let failure) where Self.isOutage(failure):
            let isNew = unhealthySince.withLock { state in
                defer { state = state ?? failure.description }
                return state == nil
            }
            if isNew {
                logger.error(
                    "the cloud is unavailable; holding deliveries and probing with one upload at a time",
                    metadata: ["error": "\(failure)"])
            }
        case .failed, .rejected:
            break
        }
    }

    /// Connection failures, 5xx and 429 say the service (not this document) is the problem.
    static func isOutage(_ failure: DeliveryFailure) -> Bool {
        guard failure.kind == .transient else { return false }
        guard let status = failure.httpStatus else { return true }
        return status >= 500 || status == 429
    }
}
