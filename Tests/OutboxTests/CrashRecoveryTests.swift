import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

/// Each test builds the on-disk state a `kill -9` at one step boundary leaves, then opens a second
/// `Outbox` on the same spool (the restarted daemon) and runs recovery.
@Suite("Outbox: crash recovery")
struct CrashRecoveryTests {
    func hotSource(_ fixture: OutboxFixture, _ path: String, archive: Bool = false) -> JobSource {
        .hotFolder(.init(originalPath: path, failedDirectory: fixture.hotFailed, archiveDirectory: archive ? fixture.archive : nil))
    }

    // MARK: Claim: row committed as `receiving`, move not (or not fully) done

    @Test func receivingRowWithTheFileStillInTheHotFolderCompletesTheClaim() throws {
        let fixture = try OutboxFixture()
        let path = try fixture.drop("interrupted.pdf", "interrupted content")
        let id = try fixture.insertRow(state: .receiving, source: hotSource(fixture, path), title: "interrupted.pdf", payloadName: "p1.pdf")
        fixture.clock.advance(seconds: 5)

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.completedClaims == 1)
        #expect(report.droppedClaims == 0)
        #expect(!exists(path), "the file was moved out of the hot folder")
        #expect(readText(fixture.layout.payload("p1.pdf")) == "interrupted content")
        let job = try #require(try restarted.job(id))
        #expect(job.state == .queued)
        #expect(job.nextAttemptAt == fixture.clock.now)
        #expect(try restarted.claimDueJobs(limit: 10).map(\.id) == [id])
    }

    @Test func receivingRowWithThePayloadAlreadyMovedIsQueued() throws {
        let fixture = try OutboxFixture()
        let path = fixture.hot + "/moved.pdf"
        try writeFile(fixture.layout.payload("p2.pdf"), "moved content")
        let id = try fixture.insertRow(state: .receiving, source: hotSource(fixture, path), title: "moved.pdf", payloadName: "p2.pdf")

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.completedClaims == 1)
        #expect(try restarted.job(id)?.state == .queued)
        #expect(readText(fixture.layout.payload("p2.pdf")) == "moved content")
    }

    @Test
    func aNewFileOfTheSameNameInTheHotFolderIsNotSwallowed() throws {
        // The claim's move finished, then a user dropped another file of the same name before the crash.
        let fixture = try OutboxFixture()
        let path = try fixture.drop("weekly.pdf", "new week")
        try writeFile(fixture.layout.payload("p3.pdf"), "old week")
        let id = try fixture.insertRow(state: .receiving, source: hotSource(fixture, path), title: "weekly.pdf", payloadName: "p3.pdf")

        let restarted = try fixture.reopen()
        _ = try restarted.recoverAfterCrash()

        #expect(try restarted.job(id)?.state == .queued)
        #expect(readText(fixture.layout.payload("p3.pdf")) == "old week")
        #expect(readText(path) == "new week", "a same-file-system claim is one rename: this is a new document, not a leftover")
    }

    @Test func receivingRowWhoseFileIsGoneEverywhereIsDropped() throws {
        let fixture = try OutboxFixture()
        let id = try fixture.insertRow(
            state: .receiving, source: hotSource(fixture, fixture.hot + "/deleted.pdf"), title: "deleted.pdf", payloadName: "p4.pdf")

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.droppedClaims == 1)
        #expect(report.completedClaims == 0)
        #expect(try restarted.job(id) == nil)
        #expect(try fixture.allJobs(restarted).isEmpty)
    }

    @Test func aCrossFilesystemCopyLeftHalfWayIsRemovedAndTheClaimRedone() throws {
        // Copy to `payloads/NAME.partial` was under way: the original is still in the hot folder.
        let fixture = try OutboxFixture()
        let path = try fixture.drop("big.pdf", "the whole document")
        try writeFile(fixture.layout.payload("p5.pdf.partial"), "the who")
        let id = try fixture.insertRow(state: .receiving, source: hotSource(fixture, path), title: "big.pdf", payloadName: "p5.pdf")

        let restarted = try fixture.reopen()
        _ = try restarted.recoverAfterCrash()

        #expect(try restarted.job(id)?.state == .queued)
        #expect(readText(fixture.layout.payload("p5.pdf")) == "the whole document")
        #expect(fixture.contents(of: fixture.layout.payloads) == ["p5.pdf"])
    }

    @Test func aCrossFilesystemCopyThatWasCompleteRemovesTheOriginal() throws {
        // Copied and renamed into payloads/, crash before the original was unlinked: the original must
        // go, or the start-up scan would claim it a second time.
        let fixture = try OutboxFixture()
        let otherFS = try OtherFileSystemFolder()
        let path = otherFS.path + "/copied.pdf"
        try writeFile(path, "copied content")
        try writeFile(fixture.layout.payload("p9.pdf"), "copied content")
        let id = try fixture.insertRow(
            state: .receiving, source: hotSource(fixture, path), title: "copied.pdf", payloadName: "p9.pdf",
            payloadSize: Int64("copied content".utf8.count))

        let restarted = try fixture.reopen()
        _ = try restarted.recoverAfterCrash()

        #expect(try restarted.job(id)?.state == .queued)
        #expect(readText(fixture.layout.payload("p9.pdf")) == "copied content")
        #expect(!exists(path))
    }

    // MARK: Upload in flight

    @Test func anUploadInFlightIsQueuedAgain() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("inflight.pdf", "in flight"))
        #expect(job.state == .uploading)
        fixture.clock.advance(seconds: 30)

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.requeuedUploads == 1)
        let stored = try #require(try restarted.job(job.id))
        #expect(stored.state == .queued)
        #expect(stored.nextAttemptAt == fixture.clock.now)
        #expect(stored.attempts == 1)
        #expect(readText(restarted.payloadPath(of: stored)) == "in flight", "a queued job's payload is not an orphan")
        #expect(try restarted.claimDueJobs(limit: 10).first?.attempts == 2)
    }

    // MARK: Committed final state, disposal not done

    @Test func aDeliveredJobWhosePayloadIsStillInTheSpoolIsDisposedOf() throws {
        let fixture = try OutboxFixture()
        try writeFile(fixture.layout.payload("p6.pdf"), "sent")
        let id = try fixture.insertRow(
            state: .delivered, source: hotSource(fixture, fixture.hot + "/sent.pdf"), title: "sent.pdf", payloadName: "p6.pdf",
            documentUUID: "u6")

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.finishedDisposals == 1)
        #expect(!exists(fixture.layout.payload("p6.pdf")))
        #expect(try restarted.job(id)?.state == .delivered)
        #expect(try restarted.job(id)?.documentUUID == "u6")
    }

    @Test func aDeliveredJobWithAnArchiveIsArchivedOnRecovery() throws {
        let fixture = try OutboxFixture()
        try writeFile(fixture.layout.payload("p7.pdf"), "to archive")
        try fixture.insertRow(
            state: .delivered, source: hotSource(fixture, fixture.hot + "/kept.pdf", archive: true), title: "kept.pdf",
            payloadName: "p7.pdf", documentUUID: "u7")

        _ = try fixture.reopen().recoverAfterCrash()

        #expect(!exists(fixture.layout.payload("p7.pdf")))
        #expect(readText(fixture.archive + "/kept.pdf") == "to archive")
    }

    @Test func aFailedJobWhosePayloadIsStillInTheSpoolIsMovedToTheFailedFolder() throws {
        let fixture = try OutboxFixture()
        try writeFile(fixture.layout.payload("p8.pdf"), "refused")
        let failure = DeliveryFailure(kind: .permanent, httpStatus: 413, message: "Payload Too Large")
        let id = try fixture.insertRow(
            state: .failed, source: hotSource(fixture, fixture.hot + "/refused.pdf"), title: "refused.pdf", payloadName: "p8.pdf",
            lastError: failure)

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.finishedDisposals == 1)
        #expect(!exists(fixture.layout.payload("p8.pdf")))
        #expect(readText(fixture.hotFailed + "/refused.pdf") == "refused")
        let note = try #require(readText(fixture.hotFailed + "/refused.pdf.error.txt"))
        #expect(note.contains("http status: 413"))
        #expect(note.contains("server message: Payload Too Large"))
        #expect(try restarted.failedPath(of: id) == fixture.hotFailed + "/refused.pdf")
    }

    // MARK: Files nobody owns

    @Test func anOrphanPayloadIsRemoved() throws {
        // A CUPS payload renamed into payloads/ before its row was committed: the backend was never told "accepted".
        let fixture = try OutboxFixture()
        try writeFile(fixture.layout.payload("orphan.pdf"), "never accepted")
        let kept = try fixture.claimNewFile("kept.pdf")

        let restarted = try fixture.reopen()
        let report = try restarted.recoverAfterCrash()

        #expect(report.removedOrphans == 1)
        #expect(fixture.contents(of: fixture.layout.payloads) == [kept.payloadName])
        #expect(try restarted.job(kept.id)?.state == .queued)
    }

    @Test func leftoverIncomingPartsAreRemoved() throws {
        let fixture = try OutboxFixture()
        var abandoned: PayloadWriter? = try fixture.streamedPayload(Array("half".utf8))
        #expect(fixture.contents(of: fixture.layout.incoming).count == 1)
        abandoned = nil  // the connection died without discard() or enqueue()
        _ = abandoned
        #expect(fixture.contents(of: fixture.layout.incoming).first?.hasSuffix(".part") == true)

        _ = try fixture.reopen().recoverAfterCrash()

        #expect(fixture.contents(of: fixture.layout.incoming).isEmpty)
        #expect(try fixture.allJobs().isEmpty)
    }

    // MARK: Whole recovery

    @Test func recoveryIsIdempotentAndLeavesACleanSpoolAlone() throws {
        let fixture = try OutboxFixture()
        let uploading = try fixture.startUpload(of: try fixture.claimNewFile("b.pdf"))
        let queued = try fixture.claimNewFile("a.pdf")
        try writeFile(fixture.layout.payload("orphan"), "x")

        let restarted = try fixture.reopen()
        let first = try restarted.recoverAfterCrash()
        let second = try restarted.recoverAfterCrash()

        #expect(first.requeuedUploads == 1)
        #expect(first.removedOrphans == 1)
        #expect(second.isEmpty, "a second run finds nothing: \(second)")
        #expect(try restarted.job(queued.id)?.state == .queued)
        #expect(try restarted.job(uploading.id)?.state == .queued)
        #expect(fixture.contents(of: fixture.layout.payloads) == [queued.payloadName, uploading.payloadName])
    }

    @Test func aFreshSpoolNeedsNoRecovery() throws {
        let fixture = try OutboxFixture()
        #expect(try fixture.outbox.recoverAfterCrash().isEmpty)
    }
}
