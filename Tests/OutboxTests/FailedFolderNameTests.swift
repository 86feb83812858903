import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

/// A file name may be 255 bytes; `NAME.error.txt` of such a name may not. The note is then shortened
/// (Docs/configuration.md, "The failed folder") and still written.
@Suite("Outbox: failed-folder names within the file-name limit")
struct FailedFolderNameTests {
    /// 123 × "é" (2 bytes each) + ".pdf": 250 bytes, a legal name whose note would be 260 bytes.
    static let longName = String(repeating: "é", count: 123) + ".pdf"

    @Test func aRefusedFileWithA250ByteNameGetsItsNote() throws {
        #expect(Self.longName.utf8.count == 250)
        let fixture = try OutboxFixture()
        let path = try fixture.drop(Self.longName, "")

        let placement = try fixture.outbox.placeInFailedFolder(fileAt: path, directory: fixture.hotFailed, reason: "it is empty")

        #expect(placement.file == fixture.hotFailed + "/" + Self.longName, "the file keeps its name")
        #expect(exists(placement.file))
        let note = try #require(placement.note)
        let noteName = String(note.split(separator: "/").last ?? "")
        #expect(noteName.utf8.count <= 255)
        #expect(noteName.hasSuffix(".error.txt"))
        #expect(Self.longName.hasPrefix(String(noteName.prefix { $0 != "~" })), "the note begins like the file: \(noteName)")
        #expect(readText(note)?.contains("reason: it is empty") == true)
        #expect(fixture.contents(of: fixture.hotFailed) == [Self.longName, noteName])
    }

    @Test func aFailedJobWithA250ByteNameGetsItsNoteAndCanBeRetried() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile(Self.longName, "long content"))
        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "no such port"))])

        let placement = try #require(try fixture.outbox.failedPlacement(of: job.id))
        let note = try #require(placement.note, "the reason is beside the file")
        #expect(placement.file == fixture.hotFailed + "/" + Self.longName)
        #expect(String(note.split(separator: "/").last ?? "").utf8.count <= 255)
        #expect(readText(note)?.contains("no such port") == true)

        try fixture.outbox.retry(job.id)
        #expect(fixture.contents(of: fixture.hotFailed).isEmpty, "the file came back and its note went")
        #expect(readText(fixture.outbox.payloadPath(of: job)) == "long content")
    }

    @Test func twoLongNamesThatBeginAlikeGetDifferentNotes() throws {
        let fixture = try OutboxFixture()
        let names = [String(repeating: "日", count: 81) + "-a.pdf", String(repeating: "日", count: 81) + "-b.pdf"]
        var notes: [String] = []
        for name in names {
            #expect(name.utf8.count == 249)
            let placement = try fixture.outbox.placeInFailedFolder(
                fileAt: try fixture.drop(name), directory: fixture.hotFailed, reason: "r")
            notes.append(try #require(placement.note))
        }
        #expect(Set(notes).count == 2)
        #expect(notes.allSatisfy { exists($0) })
    }

    @Test func aTakenMaximalNameGetsAUniqueVariantWithinTheLimit() throws {
        let fixture = try OutboxFixture()
        let name = String(repeating: "x", count: 251) + ".pdf"
        var placed: [String] = []
        for _ in 0..<2 {
            placed.append(try fixture.outbox.placeInFailedFolder(
                fileAt: try fixture.drop(name), directory: fixture.hotFailed, reason: "r").file)
        }
        #expect(placed[0] == fixture.hotFailed + "/" + name)
        let second = String(placed[1].split(separator: "/").last ?? "")
        #expect(second != name && second.utf8.count <= 255 && second.hasSuffix("-2.pdf"), "\(second)")
        #expect(placed.allSatisfy { exists($0) })
    }

    @Test func shorteningCutsOnACharacterBoundaryAndKeepsTheSuffix() {
        // 3-byte characters: the cut can never split one.
        let base = String(repeating: "語", count: 90)  // 270 bytes
        let fitted = FileNameLimit.fitting(base, suffix: ".error.txt")
        #expect(fitted.utf8.count <= 255)
        #expect(fitted.hasSuffix("~" + FileNameLimit.hash(base) + ".error.txt"))
        #expect(base.hasPrefix(String(fitted.prefix { $0 == "語" })))
        #expect(FileNameLimit.fitting("short.pdf", suffix: ".error.txt") == "short.pdf.error.txt")
    }
}
