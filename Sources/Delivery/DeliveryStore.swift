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
        try await perform { outbox in
            var result = try outbox.completeAndClaim(outcomes, release: release, claimLimit: claim)
            // Only failures are looked up (rare): the log says where the file and its reason really are.
            for job in result.completed where job.state == .failed {
                result.failedPlacements[job.id] = try? outbox.failedPlacement(of: job.id)
            }
            return result
        }
    }
}
