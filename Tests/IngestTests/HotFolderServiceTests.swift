import Foundation
import Glibc
import Outbox
import SpoolbridgeCore
import Testing

@testable import Ingest

/// Real inotify, real files in temp directories, a real outbox. Serialized: the inotify-descriptor count is
/// per process.
@Suite(.serialized) struct HotFolderServiceTests {
    @Test func takesFilesPresentAtStartAndFilesWrittenLater() async throws {
        let fixture = try HotFolderFixture()
        try fixture.writeFile(fixture.hot + "/before.pdf", "%PDF-1.4 before")
        let descriptorsBefore = inotifyDescriptorCount()
        fixture.start(fixture.settings())
        try await fixture.wait(for: "the file present at start to become a job") { try fixture.jobs().count == 1 }

        try fixture.writeFile(fixture.hot + "/Quarterly Report.pdf", "%PDF-1.4 later")
        try await fixture.wait(for: "the new file to become a job") { try fixture.jobs().count == 2 }

        let jobs = try fixture.jobs()
        let later = try #require(jobs.first { $0.request.title == "Quarterly Report.pdf" })
        #expect(later.state == .queued)
        #expect(later.request == DocumentRequest(
            username: "alice", portname: "Finance", title: "Quarterly Report.pdf",
            options: PrintOptions(copies: 2, duplex: .longEdge)))
        #expect(later.source == .hotFolder(.init(
            originalPath: fixture.hot + "/Quarterly Report.pdf", failedDirectory: fixture.failed)))
        #expect(later.payloadSize == Int64("%PDF-1.4 later".utf8.count))
        #expect(fixture.readText(fixture.spool + "/payloads/" + later.payloadName) == "%PDF-1.4 later")
        #expect(jobs.contains { $0.request.title == "before.pdf" })
        #expect(fixture.contents(of: fixture.hot).isEmpty)
        // Created at start, private: it will hold other people's documents.
        var info = stat()
        #expect(stat(fixture.failed, &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(!fixture.logs.allLines.contains { $0.contains("%PDF") })

        try await fixture.stop()
        #expect(inotifyDescriptorCount() == descriptorsBefore)
    }

    @Test func takesAFileWrittenInTwoRoundsOnceAfterItSettles() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings(settleTime: .milliseconds(600)))
        try await fixture.waitUntilWatching()

        let path = fixture.hot + "/smb.pdf"
        try fixture.writeFile(path, String(repeating: "a", count: 5_000))
        // An SMB client closing the file and coming back: a pause well inside the settle time, not a wait for a
        // condition.
        try await Task.sleep(for: .milliseconds(100))
        try fixture.writeFile(path, String(repeating: "b", count: 5_000), append: true)
        try await fixture.wait(for: "the file to become a job") { try !fixture.jobs().isEmpty }

        let jobs = try fixture.jobs()
        #expect(jobs.count == 1)
        #expect(jobs.first?.payloadSize == 10_000)
        #expect(jobs.first?.state == .queued)
        try await fixture.stop()
    }

    @Test func leavesIgnoredNamesAndRefusesLinksFIFOsAndEmptyFiles() async throws {
        let fixture = try HotFolderFixture()
        let outside = fixture.root + "/secret.pdf"
        try fixture.writeFile(outside, "not for printing")
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        let ignored = [".hidden.pdf", "draft.tmp", "upload.pdf.part", "~$budget.xlsx", "old.pdf.error.txt"]
        for name in ignored { try fixture.writeFile(fixture.hot + "/" + name, "ignored") }
        #expect(symlink(outside, fixture.hot + "/link.pdf") == 0)
        #expect(mkfifo(fixture.hot + "/pipe.pdf", 0o600) == 0)
        try fixture.writeFile(fixture.hot + "/empty.pdf", "")
        try fixture.writeFile(fixture.hot + "/good.pdf", "%PDF good")

        try await fixture.wait(for: "the refused files and their reasons in the failed folder") {
            fixture.contents(of: fixture.failed).isSuperset(of: [
                "link.pdf", "link.pdf.error.txt", "pipe.pdf", "pipe.pdf.error.txt", "empty.pdf", "empty.pdf.error.txt",
            ])
        }
        try await fixture.wait(for: "the good file to become a job") { try fixture.jobs().count == 1 }

        #expect(fixture.contents(of: fixture.hot) == Set(ignored))
        #expect(try fixture.jobs().map(\.request.title) == ["good.pdf"])
        #expect(fixture.readText(fixture.failed + "/link.pdf.error.txt")?.contains("symbolic link") == true)
        #expect(fixture.readText(fixture.failed + "/pipe.pdf.error.txt")?.contains("FIFO") == true)
        #expect(fixture.readText(fixture.failed + "/empty.pdf.error.txt")?.contains("empty") == true)
        var info = stat()
        #expect(lstat(fixture.failed + "/link.pdf", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(fixture.readText(outside) == "not for printing")
        try await fixture.stop()
    }

    @Test func subfolderOwnerTakesTheUserFromTheFolderName() async throws {
        let fixture = try HotFolderFixture()
        // A failed folder inside the hot folder must not pass for a user called "_failed".
        let failedInside = fixture.hot + "/_failed"
        try FileManager.default.createDirectory(atPath: fixture.hot + "/bob", withIntermediateDirectories: false)
        try fixture.writeFile(fixture.hot + "/bob/x.pdf", "%PDF bob")
        fixture.start(fixture.settings(owner: .subfolder, failed: failedInside))
        try await fixture.wait(for: "bob's file to become a job") { try fixture.jobs().count == 1 }

        try FileManager.default.createDirectory(atPath: fixture.hot + "/carol", withIntermediateDirectories: false)
        try await fixture.waitUntilWatching(probeDirectory: fixture.hot + "/carol")
        try fixture.writeFile(fixture.hot + "/carol/y.pdf", "%PDF carol")
        try fixture.writeFile(fixture.hot + "/stray.pdf", "%PDF nobody")
        // A link posing as a user's subfolder is refused, and what it points to is left alone.
        let elsewhere = fixture.root + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        try fixture.writeFile(elsewhere + "/private.pdf", "%PDF private")
        #expect(symlink(elsewhere, fixture.hot + "/mallory") == 0)
        try await fixture.wait(for: "carol's file to become a job") { try fixture.jobs().count == 2 }
        try await fixture.wait(for: "the stray file and the link in the failed folder") {
            fixture.contents(of: failedInside).isSuperset(of: ["stray.pdf.error.txt", "mallory.error.txt"])
        }
        #expect(fixture.contents(of: elsewhere) == ["private.pdf"])

        // A subfolder renamed inside the hot folder goes on being watched under its new name.
        #expect(rename(fixture.hot + "/carol", fixture.hot + "/dave") == 0)
        try fixture.writeFile(fixture.hot + "/dave/z.pdf", "%PDF dave")
        try await fixture.wait(for: "dave's file to become a job") { try fixture.jobs().count == 3 }

        let users = Dictionary(uniqueKeysWithValues: try fixture.jobs().map { ($0.request.title, $0.request.username) })
        #expect(users == ["x.pdf": "bob", "y.pdf": "carol", "z.pdf": "dave"])
        #expect(fixture.readText(failedInside + "/stray.pdf.error.txt")?.contains("owner = \"subfolder\"") == true)
        #expect(try fixture.jobs().count == 3)  // nothing taken from the failed folder
        try await fixture.stop()
    }

    @Test func fileOwnerTakesTheUnixOwner() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings(owner: .fileOwner))
        try await fixture.waitUntilWatching()

        try fixture.writeFile(fixture.hot + "/mine.pdf", "%PDF mine")
        try await fixture.wait(for: "the file to become a job") { try fixture.jobs().count == 1 }
        #expect(try fixture.jobs().first?.request.username == FileProbe.userName(of: getuid()))

        // A uid with no user name is refused, naming the uid (needs root to chown).
        let unknownUID: uid_t = 54_321
        if getuid() == 0, FileProbe.userName(of: unknownUID) == nil {
            let path = fixture.root + "/orphan.pdf"
            try fixture.writeFile(path, "%PDF orphan")
            #expect(chown(path, unknownUID, 0) == 0)
            #expect(rename(path, fixture.hot + "/orphan.pdf") == 0)
            try await fixture.wait(for: "the orphan in the failed folder") {
                fixture.contents(of: fixture.failed).contains("orphan.pdf.error.txt")
            }
            #expect(fixture.readText(fixture.failed + "/orphan.pdf.error.txt")?.contains("uid 54321") == true)
        }
        try await fixture.stop()
    }

    @Test func takesHardLinksAndRenamesNamesThatAreNotUTF8() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        // link(2) makes a complete file appear with IN_CREATE only, no close-write.
        let original = fixture.root + "/original.pdf"
        try fixture.writeFile(original, "%PDF linked")
        #expect(link(original, fixture.hot + "/linked.pdf") == 0)
        // Latin-1 "é" (0xE9) is not UTF-8: the file is renamed to a name that is, and taken.
        let latin1 = Array(fixture.hot.utf8) + Array("/caf".utf8) + [0xE9] + Array(".pdf".utf8) + [0]
        let descriptor = latin1.withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644) }
        }
        #expect(descriptor >= 0)
        _ = Glibc.write(descriptor, "%PDF café", 10)
        close(descriptor)

        try await fixture.wait(for: "both files to become jobs") { try fixture.jobs().count == 2 }
        #expect(Set(try fixture.jobs().map(\.request.title)) == ["linked.pdf", "caf_.pdf"])
        #expect(fixture.readText(original) == "%PDF linked")
        #expect(fixture.contents(of: fixture.hot).isEmpty)
        try await fixture.stop()
    }

    @Test func aBurstBecomesOneJobPerFile() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        for index in 0..<200 {
            try fixture.writeFile(fixture.hot + "/burst-\(index).pdf", "%PDF \(index)")
        }
        try await fixture.wait(for: "200 jobs") { try fixture.jobs().count >= 200 }

        #expect(try fixture.jobs().allSatisfy { $0.state == .queued })
        let titles = try fixture.jobs().map(\.request.title)
        #expect(titles.count == 200)
        #expect(Set(titles) == Set((0..<200).map { "burst-\($0).pdf" }))
        #expect(fixture.contents(of: fixture.hot).isEmpty)
        try await fixture.stop()
    }

    @Test func refusesAFileOverTheSizeLimit() async throws {
        let fixture = try HotFolderFixture(maxDocumentBytes: 1 << 20)
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        try fixture.writeFile(fixture.hot + "/huge.pdf", bytes: [UInt8](repeating: 0x25, count: 3 << 19))
        try await fixture.wait(for: "the file in the failed folder") {
            fixture.contents(of: fixture.failed).contains("huge.pdf.error.txt")
        }
        let reason = try #require(fixture.readText(fixture.failed + "/huge.pdf.error.txt"))
        #expect(reason.contains("huge.pdf is 1.5 MB, over spool.max_document_mb = 1"))
        #expect(fixture.contents(of: fixture.failed).contains("huge.pdf"))
        #expect(try fixture.jobs().isEmpty)
        try await fixture.stop()
    }

    @Test func keepsFilesInPlaceWhileTheSpoolIsShortOfSpace() async throws {
        let fixture = try HotFolderFixture(minFreeBytes: .max)
        fixture.start(fixture.settings())
        try fixture.writeFile(fixture.hot + "/wait.pdf", "%PDF wait")
        try fixture.writeFile(fixture.hot + "/wait-too.pdf", "%PDF wait too")

        try await fixture.wait(for: "one error about free space") {
            fixture.logs.messages(at: .error).contains { $0.contains("spool.min_free_mb") }
        }
        let errors = fixture.logs.messages(at: .error)
        #expect(errors.count == 1)
        // A constant message; the spool and the catalogued MESSAGE_ID are fields.
        let line = fixture.logs.allLines.first { $0.contains("spool.min_free_mb") } ?? ""
        #expect(line.contains(fixture.spool), "\(line)")
        #expect(line.contains("fb78b93e39f1413fa99eccacebe533ff"), "\(line)")
        #expect(fixture.contents(of: fixture.hot) == ["wait.pdf", "wait-too.pdf"])
        #expect(try fixture.outbox.jobs(states: nil, limit: 10).isEmpty)
        try await fixture.stop()
    }

    @Test func refusesToStartWithoutTheHotFolder() async throws {
        let fixture = try HotFolderFixture()
        var settings = fixture.settings()
        settings.path = fixture.root + "/missing"
        let service = HotFolderService(folders: [settings], outbox: fixture.outbox, logger: fixture.logs.logger)
        let error = await #expect(throws: HotFolderError.self) { try await service.run() }
        #expect(error?.code == "hotfolder.missing")
        #expect(error?.description.contains(settings.path) == true)
    }

    func inotifyDescriptorCount() -> Int {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.filter { descriptor in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + descriptor))?
                .contains("inotify") == true
        }.count
    }
}
