import Foundation
import Glibc
import Testing

@testable import Ingest

/// A hot folder that goes away comes back: spoolbridge follows the configured path, reports the folder missing
/// meanwhile, and lets go of a directory renamed elsewhere. Part of the serialized service suite.
extension HotFolderServiceTests {
    @Test func aDeletedHotFolderIsServedAgainOnceRecreated() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        #expect(rmdir(fixture.hot) == 0)
        try await fixture.waitUntilReported(missing: true)
        #expect(mkdir(fixture.hot, 0o755) == 0)
        // Dropped before the folder is watched again: the rescan when it is finds it.
        try fixture.writeFile(fixture.hot + "/after.pdf", "%PDF after")
        try await fixture.wait(for: "the file in the recreated folder to become a job") {
            try fixture.jobs().map(\.request.title) == ["after.pdf"]
        }

        #expect(fixture.hotStates.map(\.isMissing) == [false, true, false])
        #expect(fixture.logs.messages(at: .error) == [
            "hot folder \(fixture.hot) is missing (deleted, moved away or unmounted); nothing is taken from it until "
                + "a directory is there again: recreate it (mkdir -p \(fixture.hot)) and spoolbridge resumes by itself",
        ])
        #expect(fixture.logs.messages(at: .notice) == ["hot folder \(fixture.hot) is back; watching it again"])
        try await fixture.stop()
    }

    @Test func aHotFolderRenamedAwayIsLetGoAndServedAgainWhenRenamedBack() async throws {
        let fixture = try HotFolderFixture()
        let away = fixture.root + "/away"
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        #expect(rename(fixture.hot, away) == 0)
        try await fixture.waitUntilReported(missing: true)
        try fixture.writeFile(away + "/while-away.pdf", "%PDF while away")
        // A new folder at the path is watched, and its probe taken: by then a file in the old one would have been too.
        #expect(mkdir(fixture.hot, 0o755) == 0)
        try await fixture.waitUntilReported(missing: false)
        try fixture.writeFile(fixture.hot + "/probe-2.pdf", "%PDF probe")
        try await fixture.wait(for: "the probe in the new folder to become a job") {
            try fixture.jobs().map(\.request.title) == ["probe-2.pdf"]
        }
        #expect(fixture.contents(of: away) == ["while-away.pdf"])

        // The old folder renamed back: it is the hot folder again, and what it holds is taken.
        #expect(rmdir(fixture.hot) == 0)
        try await fixture.wait(for: "the folder to be reported missing again") {
            fixture.hotStates.filter(\.isMissing).count == 2
        }
        #expect(rename(away, fixture.hot) == 0)
        try await fixture.wait(for: "the file dropped while away to become a job") {
            try fixture.jobs().count == 2
        }
        #expect(Set(try fixture.jobs().map(\.request.title)) == ["probe-2.pdf", "while-away.pdf"])
        #expect(fixture.hotStates.map(\.isMissing) == [false, true, false, true, false])
        try await fixture.stop()
    }

    @Test func aHotFolderReplacedByANewDirectoryIsServedAgain() async throws {
        let fixture = try HotFolderFixture()
        let fresh = fixture.root + "/fresh"
        fixture.start(fixture.settings())
        try await fixture.waitUntilWatching()

        #expect(mkdir(fresh, 0o755) == 0)
        try fixture.writeFile(fresh + "/inside.pdf", "%PDF inside")
        #expect(rename(fresh, fixture.hot) == 0)  // over the (empty) hot folder
        try await fixture.wait(for: "the file in the new directory to become a job") {
            try fixture.jobs().map(\.request.title) == ["inside.pdf"]
        }
        try fixture.writeFile(fixture.hot + "/later.pdf", "%PDF later")
        try await fixture.wait(for: "a file dropped later to become a job") { try fixture.jobs().count == 2 }

        #expect(fixture.hotStates.map(\.isMissing) == [false, true, false], "reported missing in between")
        try await fixture.stop()
    }
}

extension HotFolderFixture {
    /// Waits until the hot folder's latest published state is missing (or watching).
    func waitUntilReported(missing: Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await wait(for: missing ? "the folder to be reported missing" : "the folder to be watched again",
                       sourceLocation: sourceLocation) {
            hotStates.last?.isMissing == missing && hotStates.count > 1
        }
    }
}
