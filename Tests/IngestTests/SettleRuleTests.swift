import Testing

@testable import Ingest

/// The settle decision without inotify: the same rule for files announced by events and files found by a scan
/// (at start, after `IN_Q_OVERFLOW`, when a folder comes back).
@Suite struct SettleRuleTests {
    private let rule = SettleRule(settle: 1_500_000_000)

    @Test func aFileFoundByAScanWaitsTheFullSettleTimeLikeOneJustClosed() {
        let scanned = rule.action(for: .scanned, kind: .regular, linkCount: 1, isPending: false)
        #expect(scanned == .wait(nanoseconds: 1_500_000_000))
        #expect(scanned == rule.action(for: .closedAfterWriting, kind: .regular, linkCount: 1, isPending: false))
        // Found again by the next rescan while waiting: the wait starts over, it is not shortened.
        #expect(rule.action(for: .scanned, kind: .regular, linkCount: 1, isPending: true) == scanned)
    }

    /// The start-up and overflow case: a scanned file whose writer turns out to hold it open is not taken until
    /// that writer closes it.
    @Test func aWriteToAWaitingFileMakesItWaitForItsClose() {
        #expect(rule.action(for: .modified, kind: .regular, linkCount: 1, isPending: true) == .awaitClose)
        #expect(rule.action(for: .closedAfterWriting, kind: .regular, linkCount: 1, isPending: false)
            == .wait(nanoseconds: 1_500_000_000))
    }

    @Test func aWriteToAFileNotWaitingChangesNothing() {
        // Created and still open: its close is awaited already; starting a wait now could take it half written.
        #expect(rule.action(for: .modified, kind: .regular, linkCount: 1, isPending: false) == .leaveAsIs)
    }

    @Test func aNewRegularFileWaitsForItsClose() {
        #expect(rule.action(for: .created, kind: .regular, linkCount: 1, isPending: false) == .leaveAsIs)
        // The new name of a file renamed to valid UTF-8 (its writer's events went with the old name), or a file
        // replaced under a waiting name (its writes will be seen): the wait goes on.
        #expect(rule.action(for: .created, kind: .regular, linkCount: 1, isPending: true) == .leaveAsIs)
    }

    @Test func filesPublishedWholeAreTakenAtOnce() {
        #expect(rule.action(for: .movedIn, kind: .regular, linkCount: 1, isPending: false) == .wait(nanoseconds: 0))
        #expect(rule.action(for: .created, kind: .regular, linkCount: 2, isPending: false) == .wait(nanoseconds: 0))
        #expect(rule.action(for: .created, kind: .symbolicLink, linkCount: 1, isPending: false) == .wait(nanoseconds: 0))
        // A file closed after writing still waits the folder's full settle time.
        #expect(rule.action(for: .closedAfterWriting, kind: .regular, linkCount: 1, isPending: false) != .wait(nanoseconds: 0))
    }
}
