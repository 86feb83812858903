import Outbox
import Synchronization

/// Upload results waiting for the delivery loop to record them (in one transaction).
final class OutcomeBox: Sendable {
    private let outcomes = Mutex<[DeliveryOutcome]>([])

    func append(_ outcome: DeliveryOutcome) {
        outcomes.withLock { $0.append(outcome) }
    }

    func takeAll() -> [DeliveryOutcome] {
        outcomes.withLock { box in
            defer { box.removeAll(keepingCapacity: true) }
            return box
        }
    }
}
