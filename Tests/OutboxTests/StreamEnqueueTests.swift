import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: CUPS jobs through a payload writer")
struct StreamEnqueueTests {
    @Test func aStreamedPayloadBecomesAQueuedJob() throws {
        let fixture = try OutboxFixture()
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = try fixture.streamedPayload(bytes)
        #expect(writer.byteCount == 10_000)

        let result = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:1111"), payload: writer)

        guard case .created(let id) = result else {
            Issue.record("expected created, got \(result)")
            return
        }
        let job = try #require(try fixture.outbox.job(id))
        #expect(job.state == .queued)
        #expect(job.nextAttemptAt == fixture.clock.now)
        #expect(job.payloadSize == 10_000)
        #expect(job.request.username == "bob")
        #expect(job.source == .cups(.init(jobUUID: "urn:uuid:1111", cupsJobID: 17, printer: "cloud")))
        #expect(FileManager.default.contents(atPath: fixture.outbox.payloadPath(of: job)) == Data(bytes))
        #expect(fixture.contents(of: fixture.layout.incoming).isEmpty, "nothing is left staging")
    }

    @Test func theSameJobUUIDTwiceMakesOneJob() throws {
        let fixture = try OutboxFixture()
        let first = try fixture.outbox.enqueue(
            fixture.cupsSubmission(uuid: "urn:uuid:2222"), payload: fixture.streamedPayload(Array("first".utf8)))
        let again = try fixture.streamedPayload(Array("second copy".utf8))

        let second = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:2222"), payload: again)

        guard case .created(let id) = first else {
            Issue.record("expected created, got \(first)")
            return
        }
        #expect(second == .duplicate(id))
        #expect(second.jobID == id)
        let jobs = try fixture.allJobs()
        #expect(jobs.count == 1)
        #expect(fixture.contents(of: fixture.layout.payloads).count == 1, "the second payload is discarded")
        #expect(fixture.contents(of: fixture.layout.incoming).isEmpty)
        #expect(readText(fixture.outbox.payloadPath(of: jobs[0])) == "first")
    }

    @Test func aNewJobSignalsDeliveryButADuplicateDoesNot() async throws {
        let fixture = try OutboxFixture()
        _ = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:s"), payload: fixture.streamedPayload([1]))
        #expect(await receivesSignal(fixture.outbox.newWork))

        _ = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:s"), payload: fixture.streamedPayload([1]))
        #expect(await !receivesSignal(fixture.outbox.newWork, within: .milliseconds(50)))
    }

    @Test func differentJobUUIDsMakeDifferentJobs() throws {
        let fixture = try OutboxFixture()
        let a = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:a"), payload: fixture.streamedPayload([1]))
        let b = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:b"), payload: fixture.streamedPayload([2]))
        #expect(a.jobID != b.jobID)
        #expect(try fixture.allJobs().count == 2)
    }

    @Test func aWriterOverTheLimitThrowsTooLargeAndLeavesNothing() throws {
        let fixture = try OutboxFixture(maxDocumentBytes: 1_000)
        let writer = try fixture.outbox.makePayloadWriter(title: "big.pdf")
        let chunk = [UInt8](repeating: 0x41, count: 600)
        try chunk.withUnsafeBytes { try writer.write($0) }

        #expect {
            try chunk.withUnsafeBytes { try writer.write($0) }
        } throws: { error in
            (error as? OutboxError)?.code == .tooLarge
        }
        #expect(fixture.contents(of: fixture.layout.incoming).isEmpty)
        #expect(throws: OutboxError.self, "a refused writer cannot become a job") {
            try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:big"), payload: writer)
        }
        #expect(try fixture.allJobs().isEmpty)
        #expect(fixture.contents(of: fixture.layout.payloads).isEmpty)
    }

    @Test func aDocumentOfExactlyTheLimitIsAccepted() throws {
        let fixture = try OutboxFixture(maxDocumentBytes: 1_000)
        let writer = try fixture.streamedPayload([UInt8](repeating: 7, count: 1_000), chunk: 250)
        let result = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:edge"), payload: writer)
        #expect(try fixture.outbox.job(result.jobID)?.payloadSize == 1_000)
    }

    @Test func aDiscardedWriterLeavesNothingAndNoJob() throws {
        let fixture = try OutboxFixture()
        let writer = try fixture.streamedPayload(Array("half a document".utf8))
        #expect(fixture.contents(of: fixture.layout.incoming).count == 1)
        writer.discard()
        #expect(fixture.contents(of: fixture.layout.incoming).isEmpty)
        #expect(try fixture.allJobs().isEmpty)
    }
}
