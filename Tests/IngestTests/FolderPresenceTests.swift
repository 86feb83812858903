import SpoolbridgeCore
import Testing

@testable import Ingest

@Suite struct FolderPresenceTests {
    private let noon = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    @Test func goingMissingAndComingBackAreNewsOnceEach() {
        var presence = FolderPresence(folderCount: 2)
        #expect(presence.missingFolders.isEmpty)
        let lost = presence.markMissing(1, at: noon)
        let lostAgain = presence.markMissing(1, at: noon.adding(seconds: 5))
        #expect(lost)
        #expect(!lostAgain, "still missing: no second log line")
        #expect(presence.states == [.watching, .missing(since: noon)], "missing since the first report")
        #expect(presence.missingFolders == [1])
        let back = presence.markWatching(1)
        let backAgain = presence.markWatching(1)
        let neverLost = presence.markWatching(0)
        #expect(back)
        #expect(!backAgain)
        #expect(!neverLost, "was never missing")
        #expect(presence.missingFolders.isEmpty, "nothing to look for: the recheck timer stops")
    }

    @Test func aFailureToWatchIsReportedOncePerReason() {
        var presence = FolderPresence(folderCount: 1)
        _ = presence.markMissing(0, at: noon)
        let reports = [
            presence.noteAttachFailure(0, reason: "permission denied"),
            presence.noteAttachFailure(0, reason: "permission denied"),
            presence.noteAttachFailure(0, reason: "no space"),
        ]
        #expect(reports == [true, false, true])
        _ = presence.markWatching(0)
        _ = presence.markMissing(0, at: noon)
        let nextEpisode = presence.noteAttachFailure(0, reason: "no space")
        #expect(nextEpisode, "a new episode reports again")
    }

    @Test func theSnapshotIsKeyedByPathAndSummarisedForSystemd() {
        var presence = FolderPresence(folderCount: 2)
        let paths = ["/srv/a", "/srv/b"]
        #expect(HotFolderState.summary(presence.snapshot(paths: paths)) == "watching 2 hot folders")
        _ = presence.markMissing(1, at: noon)
        let snapshot = presence.snapshot(paths: paths)
        #expect(snapshot == ["/srv/a": .watching, "/srv/b": .missing(since: noon)])
        #expect(HotFolderState.summary(snapshot)
            == "watching 1 of 2 hot folders; MISSING: /srv/b (recreate it and spoolbridge resumes)")
    }
}
