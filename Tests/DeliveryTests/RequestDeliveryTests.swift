import CloudAPI
import EmulatorKit
import Foundation
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore
import Testing

@testable import Delivery

/// Records, releases and card swipes through the real delivery service, the real outbox and the
/// emulator over loopback: the same machine, retry and outage rules as uploads.
@Suite(.serialized)
struct RequestDeliveryTests {
    static let record: HistoryRecord = {
        var record = HistoryRecord(jobType: .copy)
        record.totalPages = 12
        record.colorPages = 3
        record.paperSize = "A4"
        record.duplex = true
        record.title = "Q3 report"
        record.serialNumber = "SN123"
        record.username = "alice"
        record.providerID = 7
        return record
    }()

    @Test func everyKindIsDeliveredOnceThroughOutagesAndResets() async throws {
        try await withRequestDelivery { harness in
            // A push-queue upload, a record and a card swipe, queued while the cloud fails.
            harness.emulator.inject(.status(500, message: "maintenance (injected)"), count: 2)
            harness.emulator.inject(.resetConnection, count: 1)
            harness.emulator.inject(.status(503, message: "busy (injected)"), count: 1)
            let writer = try harness.outbox.makePayloadWriter(title: "push.pdf")
            try Array("%PDF-1.4 push".utf8).withUnsafeBytes { try writer.write($0) }
            _ = try harness.outbox.enqueue(JobSubmission(
                request: DocumentRequest(username: "alice", portname: "Finance", title: "push.pdf"),
                source: .cups(.init(jobUUID: "urn:uuid:push-1", cupsJobID: 1, printer: "cloud")),
                task: .upload(UploadFollowUp(releaseTo: "SN123"))), payload: writer)
            _ = try harness.outbox.enqueue([
                RequestSubmission(task: .record(Self.record), source: .submitted(.init(channel: .cli, detail: "test"))),
                RequestSubmission(task: .card(CardSwipe(cardID: "04A1B2C3", reader: "10.0.0.7")),
                                  source: .submitted(.init(channel: .cli, detail: "test"))),
            ])
            try await harness.waitUntil("upload, release, record and card delivered") {
                let jobs = try harness.outbox.jobs()
                return jobs.count == 4 && jobs.allSatisfy { $0.state == .delivered }
            }
            let documents = harness.emulator.documents()
            try #require(documents.count == 1)
            #expect(harness.emulator.releases().map(\.documentUUID) == [documents[0].uuid])
            #expect(harness.emulator.releases().map(\.printer) == ["SN123"])
            #expect(harness.emulator.records().map(\.fields) == [[
                "jobtype": "COPY", "totalpages": "12", "colorpages": "3", "papersize": "A4", "duplex": "true",
                "title": "Q3 report", "serialnumber": "SN123", "username": "alice", "providerid": "7",
            ]])
            #expect(harness.emulator.cardSwipes().map { [$0.cardID, $0.mac] } == [["04A1B2C3", "10.0.0.7"]])
            #expect(harness.emulator.stats().rejected >= 4, "the faults were met")
        }
    }

    @Test func aReleaseOfAnUnknownDocumentFailsAtOnceWithTheServersMessage() async throws {
        try await withRequestDelivery { harness in
            let release = DocumentRelease(documentUUID: "0b7e9f1c-0000-4000-8000-000000000000", printer: "SN123")
            let results = try harness.outbox.enqueue([
                RequestSubmission(task: .release(release), source: .submitted(.init(channel: .cli, detail: "test")))
            ])
            let id = try #require(results.first?.jobID)
            try await harness.waitUntil("the release failed") { try harness.outbox.job(id)?.state == .failed }
            let job = try #require(try harness.outbox.job(id))
            #expect(job.lastError?.kind == .permanent)
            #expect(job.lastError?.httpStatus == 404)
            #expect(job.lastError?.message == "document 0b7e9f1c-0000-4000-8000-000000000000 not found")
            #expect(job.attempts == 1, "never retried")
            #expect(harness.emulator.requestCount(path: "/api/v1/documents/0b7e9f1c") == 1)
            #expect(harness.logs.lines.contains { $0.contains("kind=release") || $0.contains("release") })
        }
    }

    @Test func aRejectedRecordIsPermanentAndOtherReleaseRefusalsAreRetried() async throws {
        try await withRequestDelivery { harness in
            let writer = try harness.outbox.makePayloadWriter(title: "a.pdf")
            try Array("%PDF-1.4 a".utf8).withUnsafeBytes { try writer.write($0) }
            let upload = try harness.outbox.enqueue(JobSubmission(
                request: DocumentRequest(username: "alice", portname: "Finance", title: "a.pdf"),
                source: .cups(.init(jobUUID: "urn:uuid:a", cupsJobID: 2, printer: "cloud"))), payload: writer).jobID
            try await harness.waitUntil("the upload delivered") { try harness.outbox.job(upload)?.state == .delivered }
            let uuid = try #require(try harness.outbox.job(upload)?.documentUUID)
            // 409 is no documented refusal of the release endpoint: worth another try.
            harness.emulator.inject(.status(409, message: "printer busy (injected)"), count: 1)
            let results = try harness.outbox.enqueue([RequestSubmission(
                task: .release(DocumentRelease(documentUUID: uuid, printer: "10.0.0.9", copies: 2)),
                source: .submitted(.init(channel: .cli, detail: "test")))])
            let release = try #require(results.first?.jobID)
            try await harness.waitUntil("the release delivered after a retry") {
                try harness.outbox.job(release)?.state == .delivered
            }
            #expect(try harness.outbox.job(release)?.attempts == 2)
            #expect(harness.emulator.releases().map(\.fields) == [["copies": "2"]])

            harness.emulator.inject(.status(400, message: "unknown output port (injected)"), count: 1)
            let recorded = try harness.outbox.enqueue([RequestSubmission(
                task: .record(Self.record), source: .submitted(.init(channel: .cli, detail: "test")))])
            let record = try #require(recorded.first?.jobID)
            try await harness.waitUntil("the record failed") { try harness.outbox.job(record)?.state == .failed }
            #expect(try harness.outbox.job(record)?.lastError?.message.hasPrefix("unknown output port (injected)") == true)
            #expect(try harness.outbox.job(record)?.attempts == 1)
            #expect(harness.emulator.records().isEmpty)
        }
    }

    // MARK: Harness

    struct Harness {
        let outbox: Outbox
        let emulator: CloudEmulator
        let logs: CapturedLogs

        func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while try !condition() {
                guard ContinuousClock.now < deadline else { throw HarnessTimeout(what: what) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func withRequestDelivery(_ body: (Harness) async throws -> Void) async throws {
        let root = NSTemporaryDirectory() + "spoolbridge-requests-\(UInt32.random(in: .min ... .max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Short backoff: a transient refusal is retried within the test's patience.
        let outbox = try Outbox(
            directory: root + "/spool", minFreeBytes: 0, retryPolicy: RetryPolicy(baseDelaySeconds: 0.05, maxDelaySeconds: 0.2))
        let emulator = try await CloudEmulator.start(CloudEmulator.Configuration(apiKey: "request-test-key"))
        let client = try CloudClient(configuration: .init(baseURL: emulator.baseURL, apiKey: Secret("request-test-key")))
        let logs = CapturedLogs()
        let service = DeliveryService(outbox: outbox, client: client, concurrency: 2, logger: logs.logger)
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                try await body(Harness(outbox: outbox, emulator: emulator, logs: logs))
                await group.triggerGracefulShutdown()
                try await tasks.next()
            }
        } catch {
            failure = error
        }
        try await client.shutdown()
        try await emulator.shutdown()
        if let failure { throw failure }
    }
}
