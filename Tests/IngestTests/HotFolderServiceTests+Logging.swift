import Foundation
import Glibc
import Logging
import Testing

@testable import Ingest

/// Log lines say what happened: where a refused file went and where its reason is, and nothing
/// alarming about steps that did not fail. Part of the serialized suite: it counts inotify descriptors.
extension HotFolderServiceTests {
    @Test func aRefusedEmptyFileIsLoggedWithWhereItAndItsReasonWent() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        try fixture.writeFile(fixture.hot + "/empty.pdf", "")

        try await fixture.wait(for: "the refusal to be logged") { !fixture.logs.messages(at: .warning).isEmpty }
        #expect(fixture.logs.messages(at: .warning) == [
            "refused file: empty.pdf is empty (0 bytes); there is nothing to print; moved to \(fixture.failed)/empty.pdf, "
                + "the reason is in \(fixture.failed)/empty.pdf.error.txt",
        ])
        #expect(fixture.logs.messages(at: .error).isEmpty, "\(fixture.logs.allLines)")
        try await fixture.stop()
    }

    @Test func aRefusedFileWithA250ByteNameGetsAShortenedNoteAndTheLogNamesIt() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()
        let name = String(repeating: "ü", count: 123) + ".pdf"  // 250 bytes
        #expect(name.utf8.count == 250)

        try fixture.writeFile(fixture.hot + "/" + name, "")

        try await fixture.wait(for: "the refusal to be logged") { !fixture.logs.messages(at: .warning).isEmpty }
        let note = try #require(fixture.contents(of: fixture.failed).first { $0.hasSuffix(".error.txt") })
        #expect(note.utf8.count <= 255)
        #expect(fixture.contents(of: fixture.failed) == [name, note])
        #expect(fixture.readText(fixture.failed + "/" + note)?.contains("is empty") == true)
        #expect(fixture.logs.messages(at: .warning).first?.hasSuffix("the reason is in \(fixture.failed)/\(note)") == true,
                "\(fixture.logs.allLines)")
        #expect(fixture.logs.messages(at: .error).isEmpty, "\(fixture.logs.allLines)")
        try await fixture.stop()
    }

    @Test func aLatin1NameIsRenamedWithoutSpuriousErrors() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        // "café.pdf" in Latin-1: 0xE9 is not UTF-8. Its create and close-write events both name the old
        // bytes; the second arrives after the file was renamed.
        let latin1 = Array(fixture.hot.utf8) + Array("/caf".utf8) + [0xE9] + Array(".pdf".utf8) + [0]
        let descriptor = latin1.withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644) }
        }
        #expect(descriptor >= 0)
        _ = Glibc.write(descriptor, "%PDF café", 10)
        close(descriptor)
        // Events are handled in order: once a file written afterwards is a job, every event of the
        // Latin-1 file has been handled.
        try fixture.writeFile(fixture.hot + "/after.pdf", "%PDF after")

        try await fixture.wait(for: "both files to become jobs") {
            Set(try fixture.jobs().map(\.request.title)) == ["caf_.pdf", "after.pdf"]
        }
        #expect(fixture.logs.messages(at: .notice) == ["renamed a file whose name is not valid UTF-8"])
        #expect(fixture.logs.messages(at: .error).isEmpty, "\(fixture.logs.allLines)")
        try await fixture.stop()
    }
}
