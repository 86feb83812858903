import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: taking jobs for upload and recording the outcome")
struct DeliveryCompletionTests {
    @Test func claimDueJobsTakesTheOldestDueJobsUpToTheLimit() throws {
        let fixture = try OutboxFixture()
        var ids: [JobID] = []
        for name in ["1.pdf", "2.pdf", "3.pdf"] {
            ids.append(try fixture.claimNewFile(name).id)
            fixture.clock.advance(seconds: 1)
        }

        let first = try fixture.outbox.claimDueJobs(limit: 2)

        #expect(first.map(\.id) == [ids[0], ids[1]])
        #expect(first.allSatisfy { $0.state == .uploading && $0.attempts == 1 })
        #expect(try fixture.outbox.job(ids[0])?.state == .uploading, "the claim is persisted")
        #expect(try fixture.outbox.job(ids[2])?.state == .queued)
        #expect(try fixture.outbox.claimDueJobs(limit: 2).map(\.id) == [ids[2]])
        #expect(try fixture.outbox.claimDueJobs(limit: 2).isEmpty, "uploading jobs are not handed out twice")
        #expect(try fixture.outbox.claimDueJobs(limit: 0).isEmpty)
    }

    @Test func anOutcomeIsCheckedAgainstTheRowAsAnotherProcessLeftItNotAgainstTheClaimedCopy() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("moved-on.pdf"))
        // Another process (a CLI, or a daemon that took over the spool) puts the job back in the queue.
        let other = try fixture.reopen()
        try other.database.write { db in
            try db.execute(sql: "UPDATE job SET state = 'queued', updatedAt = updatedAt + 1 WHERE id = ?",
                           arguments: [job.id.rawValue])
        }

        let commit = try fixture.outbox.completeAndClaim([.delivered(job.id, documentUUID: "u")], claimLimit: 0)

        #expect(commit.completed.isEmpty, "the outcome was applied to a row that had moved on")
        #expect(commit.skipped.map(\.jobID) == [job.id])
        #expect(try fixture.outbox.job(job.id)?.state == .queued)
    }

    @Test func aJobIsNotTakenBeforeItIsDue() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("later.pdf"))
        let busy = DeliveryFailure(kind: .transient, httpStatus: 429, message: "too many requests", retryAfterSeconds: 60)
        try fixture.outbox.complete([.failed(job.id, busy)])
        #expect(try fixture.outbox.nextDueTime() == fixture.clock.now.adding(seconds: 60))

        fixture.clock.advance(seconds: 59.999)
        #expect(try fixture.outbox.claimDueJobs(limit: 10).isEmpty)

        fixture.clock.advance(seconds: 0.001)
        let again = try fixture.outbox.claimDueJobs(limit: 10)
        #expect(again.map(\.id) == [job.id])
        #expect(again.first?.attempts == 2)
    }

    @Test func deliveredKeepsTheDocumentUUIDAndDeletesThePayload() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("done.pdf"))
        let payload = fixture.outbox.payloadPath(of: job)
        #expect(exists(payload))

        let results = try fixture.outbox.complete([.delivered(job.id, documentUUID: "9f1c-uuid")])

        #expect(results.map(\.state) == [.delivered])
        let stored = try #require(try fixture.outbox.job(job.id))
        #expect(stored.state == .delivered)
        #expect(stored.documentUUID == "9f1c-uuid")
        #expect(stored.nextAttemptAt == nil)
        #expect(!exists(payload))
        #expect(fixture.contents(of: fixture.hotFailed).isEmpty)
        #expect(!exists(fixture.archive))
    }

    @Test func deliveredHotFolderFilesMoveToTheArchiveWhenConfigured() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("keep me.pdf", "archived content", archive: true))

        try fixture.outbox.complete([.delivered(job.id, documentUUID: "u-1")])

        #expect(!exists(fixture.outbox.payloadPath(of: job)))
        #expect(readText(fixture.archive + "/keep me.pdf") == "archived content")
        #expect(fixture.contents(of: fixture.archive) == ["keep me.pdf"], "no note beside archived files")
        #expect(try fixture.outbox.job(job.id)?.documentUUID == "u-1")
    }

    @Test func archivingNeverReplacesAFileOfTheSameName() throws {
        let fixture = try OutboxFixture()
        // An earlier "report.pdf" sits in the archive; two more arrive and are delivered in one commit.
        let first = try fixture.startUpload(of: try fixture.claimNewFile("report.pdf", "first", archive: true))
        try fixture.outbox.complete([.delivered(first.id, documentUUID: "u-1")])
        let second = try fixture.claimNewFile("report.pdf", "second", archive: true)
        fixture.clock.advance(seconds: 1)
        let third = try fixture.claimNewFile("report.pdf", "third", archive: true)
        let claimed = try fixture.outbox.claimDueJobs(limit: 10)
        #expect(Set(claimed.map(\.id)) == [second.id, third.id])

        try fixture.outbox.complete([.delivered(second.id, documentUUID: "u-2"), .delivered(third.id, documentUUID: "u-3")])

        #expect(readText(fixture.archive + "/report.pdf") == "first")
        #expect(readText(fixture.archive + "/report-2.pdf") == "second")
        #expect(readText(fixture.archive + "/report-3.pdf") == "third")
        #expect(fixture.contents(of: fixture.archive).count == 3)
    }

    @Test func aTransientFailureQueuesTheJobLaterAndKeepsTheError() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("retry.pdf"))
        let failure = DeliveryFailure(kind: .transient, httpStatus: 503, message: "Service Unavailable", retryAfterSeconds: 30)

        try fixture.outbox.complete([.failed(job.id, failure)])

        let stored = try #require(try fixture.outbox.job(job.id))
        #expect(stored.state == .queued)
        #expect(stored.lastError == failure)
        #expect(stored.attempts == 1)
        #expect(stored.nextAttemptAt == fixture.clock.now.adding(seconds: 30))
        #expect(exists(fixture.outbox.payloadPath(of: job)), "the payload waits in the spool")
    }

    @Test func aTransientFailureWithoutRetryAfterBacksOffWithinThePolicy() throws {
        let policy = RetryPolicy(baseDelaySeconds: 5, maxDelaySeconds: 300, maxAgeSeconds: nil)
        let fixture = try OutboxFixture(retryPolicy: policy)
        let job = try fixture.startUpload(of: try fixture.claimNewFile("reset.pdf"))

        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .transient, message: "connection reset by peer"))])

        let next = try #require(try fixture.outbox.job(job.id)?.nextAttemptAt)
        #expect(next >= fixture.clock.now)
        #expect(next <= fixture.clock.now.adding(seconds: 5))
    }

    @Test func aPermanentFailureMovesTheFileToTheHotFoldersFailedFolderWithANote() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("bad.pdf", "bad content"))
        let failure = DeliveryFailure(kind: .permanent, httpStatus: 400, message: "Unknown input port 'Finance'")

        try fixture.outbox.complete([.failed(job.id, failure)])

        let stored = try #require(try fixture.outbox.job(job.id))
        #expect(stored.state == .failed)
        #expect(stored.lastError == failure)
        #expect(stored.nextAttemptAt == nil)
        #expect(!exists(fixture.outbox.payloadPath(of: job)))
        let moved = fixture.hotFailed + "/bad.pdf"
        #expect(readText(moved) == "bad content")
        #expect(try fixture.outbox.failedPath(of: job.id) == moved)
        let note = try #require(readText(moved + ".error.txt"))
        #expect(note.contains("reason: HTTP 400: Unknown input port 'Finance'"))
        #expect(note.contains("http status: 400"))
        #expect(note.contains("server message: Unknown input port 'Finance'"))
        #expect(note.contains("time: "))
        #expect(note.contains("spoolbridge retry \(job.id)"))
    }

    @Test func aRejectedJobFailsWithoutAnUpload() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("huge.pdf")
        let failure = DeliveryFailure(kind: .permanent, message: "the document is over 200 MB (spool.max_document_mb)")

        try fixture.outbox.complete([.rejected(job.id, failure)])

        #expect(try fixture.outbox.job(job.id)?.state == .failed)
        let note = try #require(readText(fixture.hotFailed + "/huge.pdf.error.txt"))
        #expect(note.contains("spool.max_document_mb"))
    }

    @Test func aFailedCupsJobGoesToTheSpoolsFailedFolder() throws {
        let fixture = try OutboxFixture()
        let created = try fixture.outbox.enqueue(
            fixture.cupsSubmission(uuid: "urn:uuid:f", title: "invoice.pdf"), payload: fixture.streamedPayload(Array("cups".utf8)))
        let job = try fixture.startUpload(of: try #require(try fixture.outbox.job(created.jobID)))

        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 403, message: "no such user bob"))])

        #expect(readText(fixture.layout.failed + "/invoice.pdf") == "cups")
        let note = try #require(readText(fixture.layout.failed + "/invoice.pdf.error.txt"))
        #expect(note.contains("server message: no such user bob"))
        #expect(note.contains("urn:uuid:f"))
    }

    @Test func failedFilesWithTheSameNameDoNotOverwriteEachOther() throws {
        let fixture = try OutboxFixture()
        let first = try fixture.startUpload(of: try fixture.claimNewFile("same.pdf", "one"))
        try fixture.outbox.complete([.failed(first.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "x"))])
        let second = try fixture.startUpload(of: try fixture.claimNewFile("same.pdf", "two"))
        try fixture.outbox.complete([.failed(second.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "y"))])

        #expect(readText(fixture.hotFailed + "/same.pdf") == "one")
        #expect(readText(fixture.hotFailed + "/same-2.pdf") == "two")
        #expect(readText(fixture.hotFailed + "/same-2.pdf.error.txt")?.contains("server message: y") == true)
        #expect(try fixture.outbox.failedPath(of: second.id) == fixture.hotFailed + "/same-2.pdf")
    }

    @Test func aHostileTitleCannotPlaceAFileOutsideTheFailedFolder() throws {
        let fixture = try OutboxFixture()
        let writer = try fixture.streamedPayload(Array("x".utf8))
        let created = try fixture.outbox.enqueue(
            fixture.cupsSubmission(uuid: "urn:uuid:evil", title: "../../escape.pdf"), payload: writer)
        let job = try fixture.startUpload(of: try #require(try fixture.outbox.job(created.jobID)))

        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad"))])

        let placed = try #require(try fixture.outbox.failedPath(of: job.id))
        #expect(placed.hasPrefix(fixture.layout.failed + "/"))
        #expect(!placed.dropFirst(fixture.layout.failed.count + 1).contains("/"))
        #expect(!exists(fixture.root + "/escape.pdf"))
        #expect(!exists(fixture.spool + "/escape.pdf"))
    }

    @Test func outcomesOfSeveralJobsAreRecordedTogether() throws {
        let fixture = try OutboxFixture()
        let a = try fixture.claimNewFile("a.pdf")
        let b = try fixture.claimNewFile("b.pdf")
        _ = try fixture.outbox.claimDueJobs(limit: 10)

        let results = try fixture.outbox.complete([
            .delivered(a.id, documentUUID: "ua"),
            .failed(b.id, DeliveryFailure(kind: .transient, httpStatus: 502, message: "bad gateway", retryAfterSeconds: 5)),
        ])

        #expect(results.map(\.state) == [.delivered, .queued])
        #expect(try fixture.outbox.job(a.id)?.state == .delivered)
        #expect(try fixture.outbox.job(b.id)?.state == .queued)
    }

    @Test func anOutcomeThatNoLongerAppliesIsSkippedAndTheOthersAreRecorded() throws {
        let fixture = try OutboxFixture()
        let stale = try fixture.claimNewFile("queued.pdf")
        let good = try fixture.claimNewFile("good.pdf")
        let claimed = try fixture.outbox.claimDueJobs(limit: 10)
        #expect(claimed.map(\.id) == [stale.id, good.id])
        // `stale` goes back to the queue meanwhile (as an admin's action or a release would).
        _ = try fixture.outbox.completeAndClaim([], release: [stale.id], claimLimit: 0)

        let result = try fixture.outbox.completeAndClaim(
            [.delivered(stale.id, documentUUID: "u1"), .delivered(good.id, documentUUID: "u2")], claimLimit: 0)

        #expect(result.completed.map(\.id) == [good.id])
        #expect(result.skipped.map(\.jobID) == [stale.id])
        #expect(result.skipped.first?.reason.contains("queued") == true)
        #expect(try fixture.outbox.job(good.id)?.state == .delivered)
        #expect(try fixture.outbox.job(stale.id)?.state == .queued)
        #expect(exists(fixture.outbox.payloadPath(of: stale)))
    }

    @Test func aReleasedClaimIsDueAgainWithoutCountingAnAttempt() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("held.pdf")
        _ = try fixture.outbox.claimDueJobs(limit: 1)
        let result = try fixture.outbox.completeAndClaim([], release: [job.id], claimLimit: 0)
        let now = try #require(try fixture.outbox.job(job.id))
        #expect(now.state == .queued)
        #expect(now.attempts == 0)
        #expect(result.nextDue == fixture.clock.now)
    }

    @Test func aDeferredJobIsDueAtOnceAndKeepsTheError() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("outage.pdf")
        _ = try fixture.outbox.claimDueJobs(limit: 1)
        try fixture.outbox.complete([.deferred(job.id, DeliveryFailure(kind: .transient, httpStatus: 503, message: "down"))])
        let now = try #require(try fixture.outbox.job(job.id))
        #expect(now.state == .queued)
        #expect(now.nextAttemptAt == fixture.clock.now)
        #expect(now.lastError?.httpStatus == 503)
    }

    @Test func aDeliveryWithoutAUUIDIsStillADelivery() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("odd-answer.pdf")
        _ = try fixture.outbox.claimDueJobs(limit: 1)
        try fixture.outbox.complete([.delivered(job.id, documentUUID: nil)])
        #expect(try fixture.outbox.job(job.id)?.state == .delivered)
        #expect(!exists(fixture.outbox.payloadPath(of: job)))
    }

    @Test func aJobPastMaxAgeFailsOnItsNextTransientError() throws {
        let fixture = try OutboxFixture(retryPolicy: RetryPolicy(baseDelaySeconds: 1, maxDelaySeconds: 10, maxAgeSeconds: 3600))
        let job = try fixture.claimNewFile("stale.pdf")
        fixture.clock.advance(seconds: 3601)
        _ = try fixture.startUpload(of: job)

        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .transient, httpStatus: 503, message: "down"))])

        #expect(try fixture.outbox.job(job.id)?.state == .failed)
        let note = try #require(readText(fixture.hotFailed + "/stale.pdf.error.txt"))
        #expect(note.contains("delivery.max_age_hours"))
    }
}
