import CloudAPI
import EmulatorKit
import Foundation
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore
import Synchronization
import Testing

@testable import Delivery

/// The delivery service with a real outbox (SQLite file, payload files) and the emulator over
/// loopback. Only the commit is wrapped, to inject the failures a disk or a busy database causes.
@Suite(.serialized)
struct DeliveryServiceTests {
    @Test func failedCommitsAreRetriedAndNoJobIsStrandedOrSentTwice() async throws {
        try await withDelivery(jobs: 20, failFirstCommits: 3) { harness in
            try await harness.waitUntilAllDelivered()
            #expect(harness.emulator.documents().count == 20, "each document exactly once")
            #expect(harness.store.failuresInjected == 3)
            let failing = harness.logs.lines.filter { $0.contains("cannot record delivery results") }
            #expect(failing.count == 1, "one line per change of state, got \(failing)")
            #expect(harness.logs.lines.contains { $0.contains("delivery results recorded again") })
        }
    }

    @Test func anOutcomeThatNoLongerAppliesIsSkippedAndTheRestOfTheBatchIsRecorded() async throws {
        try await withDelivery(jobs: 6, concurrency: 3, cancelBeforeFirstCommit: true) { harness in
            try await harness.waitUntil("every other job delivered and the cancelled one cancelled") {
                let summary = try harness.outbox.summary()
                return summary.counts[.delivered] == 5 && summary.counts[.cancelled] == 1
            }
            let summary = try harness.outbox.summary()
            #expect(summary.counts[.uploading] == nil && summary.counts[.queued] == nil, "nothing stranded")
            #expect(harness.logs.lines.contains { $0.contains("no longer applies") })
        }
    }

    @Test func aTwoHundredWithAnUnreadableBodyIsDeliveredOnceWithAWarning() async throws {
        try await withDelivery(jobs: 2, concurrency: 1, faults: [.okNotJSON, .okHugeBody(bytes: 50 << 20)]) { harness in
            try await harness.waitUntilAllDelivered()
            #expect(harness.emulator.documents().count == 2, "each accepted once, never re-sent")
            let warnings = harness.logs.lines.filter { $0.contains("answer was unexpected") }
            #expect(warnings.count == 2, "\(warnings)")
            let jobs = try harness.outbox.jobs()
            #expect(jobs.allSatisfy { $0.state == .delivered && $0.documentUUID == nil })
        }
    }

    @Test func aCloudThatNeverAnswersTripsTheStallDeadlineAndTheJobIsDeliveredOnceItAnswers() async throws {
        try await withDelivery(jobs: 1, concurrency: 1, stall: .seconds(1), faults: [.hang]) { harness in
            try await harness.waitUntil("the stall is noticed") {
                harness.logs.lines.contains { $0.contains("the cloud is unavailable") && $0.contains("stall") }
            }
            try await harness.waitUntilAllDelivered()
            #expect(harness.emulator.documents().count == 1)
            #expect(harness.logs.lines.contains { $0.contains("the cloud answers again") })
        }
    }

    // MARK: Harness

    struct Harness {
        let outbox: Outbox
        let store: FaultyStore
        let emulator: CloudEmulator
        let logs: CapturedLogs
        let service: DeliveryService

        func waitUntilAllDelivered() async throws {
            try await waitUntil("all delivered") {
                let counts = try outbox.summary().counts
                return counts.keys.allSatisfy { $0 == .delivered }
            }
        }

        func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while try !condition() {
                guard ContinuousClock.now < deadline else { throw HarnessTimeout(what: what) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func withDelivery(
        jobs count: Int, concurrency: Int = 2, failFirstCommits: Int = 0, cancelBeforeFirstCommit: Bool = false,
        stall: Duration = .seconds(60), faults: [Fault] = [.delay(milliseconds: 30)],
        tokenSource: (any BearerTokenSource)? = nil,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let root = NSTemporaryDirectory() + "spoolbridge-delivery-\(UInt32.random(in: .min ... .max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let outbox = try Outbox(directory: root + "/spool", minFreeBytes: 0)
        var ids: [JobID] = []
        for index in 0..<count {
            let writer = try outbox.makePayloadWriter(title: "doc-\(index).pdf")
            try Array("%PDF-1.4 document \(index)".utf8).withUnsafeBytes { try writer.write($0) }
            let submission = JobSubmission(
                request: DocumentRequest(username: "alice", portname: "Finance", title: "doc-\(index).pdf"),
                source: .cups(.init(jobUUID: "urn:uuid:test-\(index)", cupsJobID: index, printer: "cloud")))
            ids.append(try outbox.enqueue(submission, payload: writer).jobID)
        }
        let emulator = try await CloudEmulator.start(CloudEmulator.Configuration(apiKey: "delivery-test-key"))
        // By default a small delay, so several uploads are in flight at once.
        for fault in faults {
            let repeated = fault == .delay(milliseconds: 30) || fault.isStatus(401)
            emulator.inject(fault, count: fault == .delay(milliseconds: 30) ? count : repeated ? 1000 : 1)
        }
        let client = try CloudClient(configuration: .init(
            baseURL: emulator.baseURL, apiKey: Secret("delivery-test-key"), stallTimeout: stall), tokenSource: tokenSource)
        let store = FaultyStore(outbox: outbox, failFirst: failFirstCommits,
                                cancelBeforeFirstCommit: cancelBeforeFirstCommit ? ids.first : nil)
        let logs = CapturedLogs()
        let service = DeliveryService(store: store, outbox: outbox, client: client, concurrency: concurrency,
                                      logger: logs.logger)
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                try await body(Harness(outbox: outbox, store: store, emulator: emulator, logs: logs, service: service))
                await group.triggerGracefulShutdown()
                try await tasks.next()
            }
        } catch {
            failure = error
        }
        // Whatever happened: the HTTP client traps if it is released without a shutdown.
        try await client.shutdown()
        try await emulator.shutdown()
        if let failure { throw failure }
    }
}

struct HarnessTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// The real outbox, with the first commits that carry results failing as a full disk would, or
/// with an admin's cancel landing between an upload and its commit.
final class FaultyStore: DeliveryStore {
    let outbox: Outbox
    private let remainingFailures: Mutex<Int>
    private let pendingCancel: Mutex<JobID?>
    private let injected = Mutex(0)

    init(outbox: Outbox, failFirst: Int, cancelBeforeFirstCommit: JobID?) {
        self.outbox = outbox
        remainingFailures = Mutex(failFirst)
        pendingCancel = Mutex(cancelBeforeFirstCommit)
    }

    var failuresInjected: Int { injected.withLock { $0 } }
    var newWork: WorkSignal { outbox.newWork }
    var now: Timestamp { outbox.now }

    func commit(_ outcomes: [DeliveryOutcome], release: [JobID], claim: Int) async throws -> DeliveryCommit {
        if !outcomes.isEmpty {
            let fail = remainingFailures.withLock { remaining -> Bool in
                guard remaining > 0 else { return false }
                remaining -= 1
                return true
            }
            if fail {
                injected.withLock { $0 += 1 }
                throw OutboxError(.diskFull, "the outbox database cannot grow: the disk is full (injected)")
            }
            let cancel = pendingCancel.withLock { pending -> JobID? in
                guard let id = pending, outcomes.contains(where: { $0.jobID == id }) else { return nil }
                pending = nil
                return id
            }
            if let id = cancel {
                // The job goes back to the queue and an admin cancels it, before its result is recorded.
                _ = try outbox.completeAndClaim([], release: [id], claimLimit: 0)
                _ = try outbox.cancel(id)
            }
        }
        return try await outbox.commit(outcomes, release: release, claim: claim)
    }
}

/// Log lines, for asserting how often something is said.
final class CapturedLogs: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "test.delivery") { _ in CapturingHandler(logs: self) }
        logger.logLevel = .debug
        return logger
    }

    func append(_ line: String) { storage.withLock { $0.append(line) } }

    struct CapturingHandler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            logs.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
        }
    }
}
