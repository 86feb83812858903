import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: retry, cancel, summary")
struct AdminTests {
    @Test func retryingAFailedJobBringsTheFileBackAndItCanBeClaimedAgain() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("again.pdf", "again content"))
        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 404, message: "no such port"))])
        let failedFile = try #require(try fixture.outbox.failedPath(of: job.id))
        #expect(exists(failedFile))
        fixture.clock.advance(seconds: 600)

        let retried = try fixture.outbox.retry(job.id)

        #expect(retried.state == .queued)
        #expect(retried.attempts == 0)
        #expect(retried.nextAttemptAt == fixture.clock.now)
        #expect(!exists(failedFile))
        #expect(!exists(failedFile + ".error.txt"))
        #expect(readText(fixture.outbox.payloadPath(of: job)) == "again content")
        #expect(try fixture.outbox.failedPath(of: job.id) == nil)
        let stored = try #require(try fixture.outbox.job(job.id))
        #expect(stored.state == .queued)
        #expect(stored.createdAt == fixture.clock.now, "a fresh max-age window")

        let claimed = try fixture.outbox.claimDueJobs(limit: 10)
        #expect(claimed.map(\.id) == [job.id])
        try fixture.outbox.complete([.delivered(job.id, documentUUID: "second-time-lucky")])
        #expect(try fixture.outbox.job(job.id)?.state == .delivered)
        #expect(!exists(fixture.outbox.payloadPath(of: job)))
    }

    @Test func retryingAWaitingJobMakesItDueNow() async throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("wait.pdf"))
        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .transient, httpStatus: 503, message: "m", retryAfterSeconds: 900))])
        #expect(try fixture.outbox.claimDueJobs(limit: 10).isEmpty)

        _ = await receivesSignal(fixture.outbox.newWork)  // the claim's signal

        try fixture.outbox.retry(job.id)

        #expect(await receivesSignal(fixture.outbox.newWork), "delivery is woken for the retried job")
        #expect(try fixture.outbox.claimDueJobs(limit: 10).map(\.id) == [job.id])
    }

    @Test func retryingAFailedJobWhoseFileWasRemovedSaysSo() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("lost.pdf"))
        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "x"))])
        let failedFile = try #require(try fixture.outbox.failedPath(of: job.id))
        unlink(failedFile)

        #expect {
            try fixture.outbox.retry(job.id)
        } throws: { error in
            (error as? OutboxError)?.code == .notFound
        }
        #expect(try fixture.outbox.job(job.id)?.state == .failed, "nothing changed")
    }

    @Test
    func retryingAFailedJobWhosePayloadIsStillInTheSpoolWorks() throws {
        // The move to the failed folder did not happen (folder unwritable, disk full, crash before disposal):
        // the document is still in payloads/ and failedPath is nil.
        let fixture = try OutboxFixture()
        try writeFile(fixture.layout.payload("stuck.pdf"), "still here")
        let id = try fixture.insertRow(
            state: .failed, source: .hotFolder(.init(originalPath: fixture.hot + "/stuck.pdf", failedDirectory: fixture.hotFailed)),
            title: "stuck.pdf", payloadName: "stuck.pdf",
            lastError: DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad"))

        try fixture.outbox.retry(id)
        #expect(try fixture.outbox.job(id)?.state == .queued)
        #expect(readText(fixture.layout.payload("stuck.pdf")) == "still here", "the document is never lost")
    }

    @Test func retryingADeliveredJobIsRefused() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("ok.pdf"))
        try fixture.outbox.complete([.delivered(job.id, documentUUID: "u")])
        #expect {
            try fixture.outbox.retry(job.id)
        } throws: { error in
            (error as? OutboxError)?.code == .invalidState
        }
    }

    @Test func cancellingAQueuedJobMovesItsFileToTheFailedFolder() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("unwanted.pdf", "unwanted")

        let cancelled = try fixture.outbox.cancel(job.id)

        #expect(cancelled.state == .cancelled)
        #expect(try fixture.outbox.job(job.id)?.state == .cancelled)
        #expect(!exists(fixture.outbox.payloadPath(of: job)))
        #expect(readText(fixture.hotFailed + "/unwanted.pdf") == "unwanted")
        #expect(readText(fixture.hotFailed + "/unwanted.pdf.error.txt")?.contains("cancelled by an administrator") == true)
        #expect(try fixture.outbox.claimDueJobs(limit: 10).isEmpty)
    }

    @Test func aCancelledJobCanBeRetried() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("changed-my-mind.pdf", "mind")
        try fixture.outbox.cancel(job.id)

        try fixture.outbox.retry(job.id)

        #expect(readText(fixture.outbox.payloadPath(of: job)) == "mind")
        #expect(try fixture.outbox.claimDueJobs(limit: 10).map(\.id) == [job.id])
    }

    @Test func cancellingAnUploadingJobIsRefusedAndChangesNothing() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("busy.pdf"))
        #expect {
            try fixture.outbox.cancel(job.id)
        } throws: { error in
            (error as? OutboxError)?.code == .invalidState
        }
        #expect(try fixture.outbox.job(job.id)?.state == .uploading)
        #expect(exists(fixture.outbox.payloadPath(of: job)))
    }

    @Test func unknownJobsAreNotFound() throws {
        let fixture = try OutboxFixture()
        for action in [{ try fixture.outbox.cancel(JobID(404)) }, { try fixture.outbox.retry(JobID(404)) }] {
            #expect {
                _ = try action()
            } throws: { error in
                guard let error = error as? OutboxError else { return false }
                return error.code == .notFound && error.message.contains("404")
            }
        }
        #expect(try fixture.outbox.job(JobID(404)) == nil)
    }

    @Test func summaryCountsJobsPerStateAndShowsTheLastFailure() throws {
        let fixture = try OutboxFixture()
        let delivered = try fixture.claimNewFile("delivered.pdf")
        fixture.clock.advance(seconds: 1)
        let failed = try fixture.claimNewFile("failed.pdf")
        fixture.clock.advance(seconds: 1)
        let retrying = try fixture.claimNewFile("retrying.pdf")
        fixture.clock.advance(seconds: 1)
        let uploading = try fixture.claimNewFile("uploading.pdf")
        fixture.clock.advance(seconds: 1)
        let queued = try fixture.claimNewFile("queued.pdf")
        let cancelled = try fixture.claimNewFile("cancelled.pdf")
        try fixture.outbox.cancel(cancelled.id)
        #expect(try fixture.outbox.claimDueJobs(limit: 4).map(\.id) == [delivered.id, failed.id, retrying.id, uploading.id])
        try fixture.outbox.complete([.delivered(delivered.id, documentUUID: "u")])
        fixture.clock.advance(seconds: 1)
        try fixture.outbox.complete([.failed(retrying.id, DeliveryFailure(kind: .transient, httpStatus: 503, message: "busy"))])
        fixture.clock.advance(seconds: 1)
        let permanent = DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad port")
        try fixture.outbox.complete([.failed(failed.id, permanent)])

        let summary = try fixture.outbox.summary()

        #expect(summary.counts[.delivered] == 1)
        #expect(summary.counts[.failed] == 1)
        #expect(summary.counts[.queued] == 2)
        #expect(summary.counts[.uploading] == 1)
        #expect(summary.counts[.cancelled] == 1)
        #expect(summary.counts[.receiving, default: 0] == 0)
        #expect(summary.counts.values.reduce(0, +) == 6)
        #expect(summary.oldestQueuedSince == retrying.createdAt, "the oldest job not yet finished")
        #expect(summary.lastFailure?.id == failed.id)
        #expect(summary.lastFailure?.lastError == permanent)
        _ = queued
    }

    @Test func jobsFiltersByStateNewestFirst() throws {
        let fixture = try OutboxFixture()
        let a = try fixture.claimNewFile("a.pdf")
        let b = try fixture.claimNewFile("b.pdf")
        let c = try fixture.claimNewFile("c.pdf")
        try fixture.outbox.cancel(b.id)

        #expect(try fixture.outbox.jobs(states: [.queued]).map(\.id) == [c.id, a.id])
        #expect(try fixture.outbox.jobs(states: [.cancelled]).map(\.id) == [b.id])
        #expect(try fixture.outbox.jobs().map(\.id) == [c.id, b.id, a.id])
        #expect(try fixture.outbox.jobs(limit: 1).map(\.id) == [c.id])
    }

    @Test func freeSpaceIsComparedWithTheFloor() throws {
        let fixture = try OutboxFixture()
        #expect(fixture.outbox.hasFreeSpace())
        #expect((fixture.outbox.freeBytes() ?? 0) > 0)
        let demanding = try Outbox(directory: fixture.spool, minFreeBytes: .max)
        #expect(!demanding.hasFreeSpace())
    }

    @Test func performRunsWorkOffTheCooperativePool() async throws {
        let fixture = try OutboxFixture()
        let path = try fixture.drop("async.pdf")
        let file = fixture.hotFolderFile(path)
        let outcomes = try await fixture.outbox.perform { try $0.claimHotFolderFiles([file]) }
        #expect(outcomes.count == 1)
        #expect(try fixture.allJobs().count == 1)
    }
}
