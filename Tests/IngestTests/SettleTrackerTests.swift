import Dispatch
import Testing

@testable import Ingest

@Suite struct SettleTrackerTests {
    private let second: UInt64 = 1_000_000_000

    private func at(_ seconds: Double) -> DispatchTime {
        DispatchTime(uptimeNanoseconds: 1_000 * second + UInt64(seconds * Double(second)))
    }

    private func stamp(size: Int64, mtime: Int = 100) -> FileStatus.Stamp {
        FileStatus.Stamp(size: size, modifiedSeconds: mtime, modifiedNanoseconds: 0, device: 1, inode: 7)
    }

    @Test func nothingPendingMeansNoDeadline() {
        let tracker = SettleTracker<Int>()
        #expect(tracker.nextDeadline == nil)
        #expect(tracker.isEmpty)
    }

    @Test func anUnchangedFileSettlesAfterTheSettleTime() {
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        #expect(tracker.nextDeadline == at(1))
        #expect(tracker.takeSettled(now: at(0.5)) { _ in stamp(size: 10) }.isEmpty)
        let settled = tracker.takeSettled(now: at(1)) { _ in stamp(size: 10) }
        #expect(settled.map(\.path) == ["/h/a"])
        #expect(tracker.isEmpty)
        #expect(tracker.nextDeadline == nil)
    }

    @Test func aFileThatChangedStartsANewWindow() {
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        #expect(tracker.takeSettled(now: at(1)) { _ in stamp(size: 20) }.isEmpty)
        #expect(tracker.nextDeadline == at(2))
        #expect(tracker.takeSettled(now: at(2)) { _ in stamp(size: 20, mtime: 101) }.isEmpty)
        #expect(tracker.takeSettled(now: at(3)) { _ in stamp(size: 20, mtime: 101) }.map(\.path) == ["/h/a"])
    }

    @Test func newActivityPushesTheDeadlineBack() {
        // An SMB client closing the file twice: the second close restarts the window.
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0.8), settle: second)
        #expect(tracker.nextDeadline == at(1.8))
        #expect(tracker.takeSettled(now: at(1)) { _ in stamp(size: 10) }.isEmpty)
        #expect(tracker.takeSettled(now: at(1.8)) { _ in stamp(size: 10) }.count == 1)
    }

    /// A file renamed in gets a shorter window than one still being written: it is due first even when
    /// noted later, and the long one still waits its full window.
    @Test func aShorterWindowNotedLaterIsDueFirst() {
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/written", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        tracker.noteActivity(
            path: "/h/moved", place: 0, stamp: stamp(size: 5), now: at(0.1), settle: second, window: 100_000_000)
        #expect(tracker.nextDeadline == at(0.2))
        let first = tracker.takeSettled(now: at(0.25)) { $0 == "/h/moved" ? stamp(size: 5) : stamp(size: 10) }
        #expect(first.map(\.path) == ["/h/moved"])
        #expect(tracker.nextDeadline == at(1))
        #expect(tracker.takeSettled(now: at(0.9)) { _ in stamp(size: 10) }.isEmpty)
        #expect(tracker.takeSettled(now: at(1)) { _ in stamp(size: 10) }.map(\.path) == ["/h/written"])
    }

    /// A lone file is taken when it settles; a second one due soon after makes the claim wait for it (once, by the
    /// coalescing window), so a burst is claimed in one batch.
    @Test func aLoneFileIsClaimedAtOnceABurstAfterTheCoalescingWindow() {
        let window: UInt64 = 20_000_000
        var tracker = SettleTracker<Int>()
        #expect(tracker.claimTime(coalescing: window) == nil)
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        #expect(tracker.claimTime(coalescing: window) == at(1))

        tracker.noteActivity(path: "/h/b", place: 0, stamp: stamp(size: 10), now: at(0.005), settle: second)
        #expect(tracker.claimTime(coalescing: window) == at(1.02))
        // At that time the answer is the same: the claim goes ahead, and takes both.
        #expect(tracker.takeSettled(now: at(1.02)) { _ in stamp(size: 10) }.map(\.path) == ["/h/a", "/h/b"])
        #expect(tracker.claimTime(coalescing: window) == nil)

        // Further apart than the window: each when it settles.
        tracker.noteActivity(path: "/h/c", place: 0, stamp: stamp(size: 10), now: at(2), settle: second)
        tracker.noteActivity(path: "/h/d", place: 0, stamp: stamp(size: 10), now: at(2.5), settle: second)
        #expect(tracker.claimTime(coalescing: window) == at(3))
        #expect(tracker.takeSettled(now: at(3)) { _ in stamp(size: 10) }.map(\.path) == ["/h/c"])
        #expect(tracker.claimTime(coalescing: window) == at(3.5))
    }

    /// A deadline that was pushed back leaves a stale item behind; it is no company for the file due first.
    @Test func aPushedBackDeadlineIsNoCompany() {
        let window: UInt64 = 20_000_000
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        tracker.noteActivity(path: "/h/b", place: 0, stamp: stamp(size: 10), now: at(0.01), settle: second)
        tracker.noteActivity(path: "/h/b", place: 0, stamp: stamp(size: 11), now: at(0.5), settle: second)
        #expect(tracker.claimTime(coalescing: window) == at(1))
    }

    @Test func vanishedFilesAreDropped() {
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        #expect(tracker.takeSettled(now: at(1)) { _ in nil }.isEmpty)
        #expect(tracker.isEmpty)
    }

    @Test func settlesABurstTogetherInArrivalOrder() {
        var tracker = SettleTracker<Int>()
        for index in 0..<1_000 {
            tracker.noteActivity(
                path: "/h/\(index)", place: index % 3, stamp: stamp(size: 10), now: at(Double(index) / 10_000),
                settle: second)
        }
        let settled = tracker.takeSettled(now: at(1.1)) { _ in stamp(size: 10) }
        #expect(settled.map(\.path) == (0..<1_000).map { "/h/\($0)" })
        #expect(settled.map(\.place) == (0..<1_000).map { $0 % 3 })
        #expect(tracker.isEmpty)
    }

    @Test func forgottenFilesNeverSettle() {
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/h/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: second)
        tracker.forget(path: "/h/a")
        #expect(tracker.nextDeadline == nil)
        #expect(tracker.takeSettled(now: at(5)) { _ in stamp(size: 10) }.isEmpty)
    }

    /// Each file keeps its own folder's settle time: a changed file waits that again, not some global one, and
    /// a file first given a brief look (renamed in) waits its full settle time once it changes.
    @Test func aChangedFileWaitsItsOwnSettleTimeAgain() {
        var tracker = SettleTracker<Int>()
        tracker.noteActivity(path: "/slow/a", place: 0, stamp: stamp(size: 10), now: at(0), settle: 3 * second)
        tracker.noteActivity(
            path: "/fast/b", place: 1, stamp: stamp(size: 10), now: at(0), settle: second, window: second / 10)
        #expect(tracker.takeSettled(now: at(0.1)) { _ in stamp(size: 20) }.isEmpty)
        #expect(tracker.nextDeadline == at(1.1), "b changed: its full second, from when the change was seen")
        #expect(tracker.takeSettled(now: at(3)) { _ in stamp(size: 20) }.map(\.path) == ["/fast/b"], "a changed too")
        #expect(tracker.entries["/slow/a"]?.dueAt == at(6))
        #expect(tracker.takeSettled(now: at(6)) { _ in stamp(size: 20) }.map(\.path) == ["/slow/a"])
        #expect(tracker.isPending("/fast/b") == false)
    }
}
