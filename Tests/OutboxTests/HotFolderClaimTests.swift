import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: claiming hot-folder files")
struct HotFolderClaimTests {
    @Test func claimMovesTheFileIntoThePayloadsAndQueuesTheJob() throws {
        let fixture = try OutboxFixture()
        let content = String(repeating: "0123456789", count: 2048)
        let path = try fixture.drop("Quarterly report.pdf", content)

        let outcomes = try fixture.outbox.claimHotFolderFiles([fixture.hotFolderFile(path)])

        guard case .claimed(let id, let claimedPath)? = outcomes.first, outcomes.count == 1 else {
            Issue.record("expected one claim, got \(outcomes)")
            return
        }
        #expect(claimedPath == path)
        #expect(!exists(path), "the source file is gone from the hot folder")
        let job = try #require(try fixture.outbox.job(id))
        #expect(job.state == .queued)
        #expect(job.nextAttemptAt == fixture.clock.now)
        #expect(job.attempts == 0)
        #expect(job.payloadSize == Int64(content.utf8.count))
        #expect(job.request.title == "Quarterly report.pdf")
        #expect(job.request.username == "alice")
        #expect(job.request.portname == "Finance")
        #expect(job.request.options == PrintOptions(copies: 2, duplex: .longEdge))
        #expect(job.source == .hotFolder(.init(originalPath: path, failedDirectory: fixture.hotFailed)))
        #expect(job.createdAt == fixture.clock.now)
        let payload = fixture.outbox.payloadPath(of: job)
        #expect(payload.hasPrefix(fixture.layout.payloads + "/"))
        #expect(readText(payload) == content)
        #expect(fixture.contents(of: fixture.layout.payloads) == [job.payloadName])
    }

    @Test func aBatchMakesOneJobPerFileWithDistinctPayloads() throws {
        let fixture = try OutboxFixture()
        let paths = try (1...25).map { try fixture.drop("doc-\($0).pdf", "content \($0)") }

        let outcomes = try fixture.outbox.claimHotFolderFiles(paths.map { fixture.hotFolderFile($0) })

        #expect(outcomes.count == 25)
        let jobs = try fixture.allJobs()
        #expect(jobs.count == 25)
        #expect(jobs.allSatisfy { $0.state == .queued })
        #expect(Set(jobs.map(\.payloadName)).count == 25)
        #expect(fixture.contents(of: fixture.hot).isEmpty)
        for job in jobs {
            let number = job.request.title.dropFirst("doc-".count).dropLast(".pdf".count)
            #expect(readText(fixture.outbox.payloadPath(of: job)) == "content \(number)")
        }
    }

    @Test func aClaimAcrossFileSystemsCopiesFlushesAndRemovesTheOriginal() throws {
        let fixture = try OutboxFixture()
        let otherFS = try OtherFileSystemFolder()
        try #require(otherFS.isOnAnotherFileSystem(than: fixture.spool), "/dev/shm and /tmp are one file system here")
        let content = String(repeating: "cross-device ", count: 200_000)  // > the 1 MiB copy buffer
        let path = otherFS.path + "/remote.pdf"
        try writeFile(path, content)
        chmod(path, 0o644)

        let outcomes = try fixture.outbox.claimHotFolderFiles([fixture.hotFolderFile(path)])

        guard case .claimed(let id, _)? = outcomes.first else {
            Issue.record("expected a claim, got \(outcomes)")
            return
        }
        let job = try #require(try fixture.outbox.job(id))
        #expect(job.state == .queued)
        #expect(!exists(path))
        #expect(readText(fixture.outbox.payloadPath(of: job)) == content)
        #expect(job.payloadSize == Int64(content.utf8.count))
        #expect(fixture.contents(of: fixture.layout.payloads) == [job.payloadName], "no .partial is left")
        #expect(mode(of: fixture.outbox.payloadPath(of: job)) == 0o600)
    }

    @Test func aClaimSignalsDelivery() async throws {
        let fixture = try OutboxFixture()
        _ = try fixture.claimNewFile("wake.pdf")
        #expect(await receivesSignal(fixture.outbox.newWork))
    }

    @Test func aVanishedFileDoesNotSignal() async throws {
        let fixture = try OutboxFixture()
        _ = try fixture.outbox.claimHotFolderFiles([fixture.hotFolderFile(fixture.hot + "/nothing.pdf")])
        #expect(await !receivesSignal(fixture.outbox.newWork, within: .milliseconds(50)))
    }

    @Test func theTitleExtensionIsKeptOnThePayloadName() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("scan.tiff")
        #expect(job.payloadName.hasSuffix(".tiff"))
        #expect(!job.payloadName.contains("scan"), "payload names do not carry user-chosen text")
    }

    @Test func aVanishedFileReportsVanishedAndLeavesNoRow() throws {
        let fixture = try OutboxFixture()
        let gone = fixture.hot + "/gone.pdf"

        let outcomes = try fixture.outbox.claimHotFolderFiles([fixture.hotFolderFile(gone)])

        #expect(outcomes == [.vanished(path: gone)])
        #expect(try fixture.allJobs().isEmpty)
        #expect(fixture.contents(of: fixture.layout.payloads).isEmpty)
    }

    @Test func aVanishedFileDoesNotSpoilTheRestOfTheBatch() throws {
        let fixture = try OutboxFixture()
        let first = try fixture.drop("a.pdf", "a")
        let gone = fixture.hot + "/gone.pdf"
        let last = try fixture.drop("b.pdf", "b")

        let outcomes = try fixture.outbox.claimHotFolderFiles([first, gone, last].map { fixture.hotFolderFile($0) })

        #expect(outcomes.count == 3)
        #expect(outcomes[1] == .vanished(path: gone))
        guard case .claimed = outcomes[0], case .claimed = outcomes[2] else {
            Issue.record("expected a.pdf and b.pdf claimed: \(outcomes)")
            return
        }
        #expect(try fixture.allJobs().map(\.request.title).sorted() == ["a.pdf", "b.pdf"])
        #expect(try fixture.allJobs().allSatisfy { $0.state == .queued })
    }

    @Test func anEmptyBatchDoesNothing() throws {
        let fixture = try OutboxFixture()
        #expect(try fixture.outbox.claimHotFolderFiles([]).isEmpty)
    }

    @Test func aFileDroppedIntoTheFailedFolderDirectlyGetsANote() throws {
        let fixture = try OutboxFixture()
        let link = fixture.hot + "/link.pdf"
        #expect(symlink("/etc/passwd", link) == 0)

        try fixture.outbox.placeInFailedFolder(fileAt: link, directory: fixture.hotFailed, reason: "a symbolic link; copy the file itself")

        #expect(!exists(link))
        #expect(exists(fixture.hotFailed + "/link.pdf"))
        let note = try #require(readText(fixture.hotFailed + "/link.pdf.error.txt"))
        #expect(note.contains("reason: a symbolic link; copy the file itself"))
        #expect(note.contains("file: \(link)"))
        #expect(readText("/etc/passwd") != nil, "the link's target is untouched")
    }
}
