import Outbox
import SpoolbridgeCore

/// What delivery needs of the outbox. `Outbox` is the implementation; tests wrap it to inject
/// commit failures into a real outbox.
public protocol DeliveryStore: Sendable {
    /// Records outcomes, gives back unsent claims and claims due jobs, in one transaction.
    func commit(_ outcomes: [DeliveryOutcome], release: [JobID], claim: Int) async throws -> DeliveryCommit
    /// Signals whenever jobs may have become due.
    var newWork: WorkSignal { get }
    var now: Timestamp { get }
}

extension Outbox: DeliveryStore {
    public func commit(_ outcomes: [DeliveryOutcome], release: [JobID], claim: Int) async throws -> DeliveryCommit {
        try await perform { try $0.completeAndClaim(outcomes, release: release, claimLimit: claim) }
    }
}
