import CloudAPI
import EmulatorKit
import Foundation
import SpoolbridgeCore
import Synchronization
import Testing

@testable import Delivery

/// An auth hold over real HTTP: the emulator answers every upload 401 (a revoked token), the token
/// source has no fresh one; nothing may fail and no attempt may be spent, and once the cloud accepts
/// the token again (and the source says so) every job is delivered exactly once.
/// (Part of `DeliveryServiceTests`, whose harness it uses and whose serial order it keeps.)
extension DeliveryServiceTests {
    @Test func aRefusedTokenHoldsEveryJobQueuedUntilTheCloudAcceptsItAgain() async throws {
        let source = RevocableTokenSource()
        try await withDelivery(jobs: 3, concurrency: 1, faults: [.status(401, message: "token revoked")],
                               tokenSource: source) { harness in
            try await harness.waitUntil("the hold and at least one refused trial") {
                source.rejections >= 2
                    && harness.logs.lines.contains { $0.contains("the cloud refused the device token") }
            }
            let jobs = try harness.outbox.jobs()
            #expect(jobs.count == 3)
            #expect(jobs.allSatisfy { $0.state == .queued || $0.state == .uploading }, "\(jobs.map(\.state))")
            #expect(jobs.filter { $0.state == .queued }.allSatisfy { $0.attempts == 0 }, "no attempt spent: \(jobs.map(\.attempts))")
            #expect(jobs.contains { $0.lastError?.kind == .unauthorized }, "jobs --json says why they wait")
            #expect(harness.emulator.documents().isEmpty)
            #expect(!harness.logs.lines.contains { $0.contains("the cloud is unavailable") }, "not reported as an outage")
            let holds = harness.logs.lines.filter { $0.contains("the cloud refused the device token") }
            #expect(holds.count == 1, "one line per change of state: \(holds)")

            harness.emulator.clearFaults()
            source.restore()
            harness.service.credentialsChanged()
            try await harness.waitUntilAllDelivered()
            #expect(harness.emulator.documents().count == 3, "each document exactly once")
            #expect(harness.logs.lines.contains { $0.contains("accepts the device token again") })
            #expect(try harness.outbox.jobs().allSatisfy { $0.attempts == 1 }, "the delivering upload is the only attempt counted")
        }
    }
}

/// A source whose token the cloud has revoked: a rejection finds no fresh one, until `restore()`.
final class RevocableTokenSource: BearerTokenSource {
    private let state = Mutex((revoked: true, rejections: 0))

    var rejections: Int { state.withLock { $0.rejections } }

    func restore() { state.withLock { $0.revoked = false } }

    func currentAccessToken() async -> BearerTokenAnswer { .token(Secret("delivery-test-access-token")) }

    func accessTokenWasRejected(_ token: Secret) async -> Bool {
        state.withLock {
            $0.rejections += 1
            return !$0.revoked
        }
    }
}

extension Fault {
    func isStatus(_ code: Int) -> Bool {
        if case .status(code, _) = self { return true }
        return false
    }
}
