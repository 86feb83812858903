import Config
import Delivery
import Foundation
import Observability
import Outbox
import SpoolbridgeCore
import SystemIntegration
import Synchronization

/// The running daemon's `HealthFacts` behind a lock, fed by delivery's notices, and the two answers of
/// the operator endpoint built from them and the outbox.
final class HealthState: Sendable {
    private let facts: Mutex<HealthFacts>
    private let outbox: Outbox
    private let unhealthyAfterSeconds: Mutex<Double>
    /// Where auth's part of systemd's STATUS= line goes (nil in tests without systemd).
    let statusLine: SystemdStatusLine?

    init(outbox: Outbox, unhealthyAfterSeconds: Double, statusLine: SystemdStatusLine? = nil) {
        self.outbox = outbox
        self.statusLine = statusLine
        self.facts = Mutex(HealthFacts(startedAt: outbox.now))
        self.unhealthyAfterSeconds = Mutex(unhealthyAfterSeconds)
    }

    /// `[http] unhealthy_after_seconds` after a reload.
    func setUnhealthyAfter(_ seconds: Double) {
        unhealthyAfterSeconds.withLock { $0 = seconds }
    }

    /// The token refresher's state, for `/healthz`, `status --json` and `STATUS=`. DeviceAuth's
    /// refresher calls this at every change; with `mode = "api-key"` nobody does and it stays ok.
    func setAuth(_ auth: AuthHealth) {
        facts.withLock { $0.setAuth(auth) }
        statusLine?.setAuth(auth.statusLine)
    }

    func observe(_ notice: DeliveryStateMachine.Notice, at now: Timestamp) {
        facts.withLock { facts in
            switch notice {
            case .cloudUnavailable(let failure): facts.cloudUnavailable(at: now, error: failure.description)
            case .cloudAvailable: facts.cloudAvailable(at: now)
            case .authenticationRefused(let failure): facts.authenticationRefused(at: now, error: failure.description)
            case .authenticationAccepted: facts.authenticationAccepted()
            case .commitFailing(let reason, _): facts.commitFailing(reason)
            case .commitRecovered: facts.commitRecovered()
            case .jobUpdated(let job, _) where job.state == .delivered: facts.delivered(at: job.updatedAt)
            case .jobUpdated, .outcomeSkipped: break
            }
        }
    }

    func health() async -> HealthDocument {
        HealthEvaluator.evaluate(await inputs().inputs)
    }

    func metrics() async -> [UInt8] {
        let (inputs, summary) = await inputs()
        OpsMetrics.record(summary, now: inputs.now)
        return OpsMetrics.exposition()
    }

    private func inputs() async -> (inputs: HealthInputs, summary: OutboxSummary?) {
        let facts = self.facts.withLock { $0 }
        let result: Result<OutboxSummary, any Error>
        do {
            result = .success(try await outbox.perform { try $0.summary() })
        } catch {
            result = .failure(error)
        }
        let summary = try? result.get()
        var access = HealthInputs.OutboxAccess.ok
        if case .failure(let error) = result {
            access = .unreadable(reason: "\(error)")
        } else if let failure = facts.commitFailure {
            access = .unwritable(reason: failure)
        }
        let lastDelivery = [facts.lastDelivery, summary?.lastDelivery].compactMap { $0 }.max()
        let inputs = HealthInputs(
            now: outbox.now, daemonRunning: true, counts: summary?.counts ?? [:],
            oldestWaitingSince: summary?.oldestQueuedSince, freeBytes: summary?.freeBytes ?? outbox.freeBytes(),
            minFreeBytes: outbox.minFreeBytes, lastDelivery: lastDelivery, outbox: access, cloud: facts.cloud,
            unhealthyAfterSeconds: unhealthyAfterSeconds.withLock { $0 }, auth: facts.auth, authRefusal: facts.authRefusal)
        return (inputs, summary)
    }
}
