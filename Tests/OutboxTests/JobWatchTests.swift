import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

/// The CUPS backend's `?wait=` connections sleep in poll(2) on a `JobWatch` instead of reading the
/// database every 200 ms. Notification is synchronous with the change, so no wait is needed here.
@Suite("Outbox: watching one job for changes")
struct JobWatchTests {
    private func isReadable(_ watch: JobWatch) -> Bool {
        var waits = pollfd(fd: watch.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&waits, 1, 0) == 1
    }

    @Test func aWatchWakesWhenItsJobIsDeliveredAndNotBefore() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("watched.pdf")
        let watch = try fixture.outbox.watch(job.id)
        #expect(!isReadable(watch))

        _ = try fixture.startUpload(of: job)
        #expect(!isReadable(watch), "taking the job for upload is no outcome")
        try fixture.outbox.complete([.delivered(job.id, documentUUID: "u")])

        #expect(isReadable(watch))
        watch.drain()
        #expect(!isReadable(watch))
    }

    @Test func aWatchWakesOnFailureRetryAndCancel() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.startUpload(of: try fixture.claimNewFile("w.pdf"))
        let watch = try fixture.outbox.watch(job.id)

        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 404, message: "m"))])
        #expect(isReadable(watch))
        #expect(try fixture.outbox.failedPlacement(of: job.id)?.note != nil, "woken only once the file is in place")
        watch.drain()

        try fixture.outbox.retry(job.id)
        #expect(isReadable(watch))
        watch.drain()

        try fixture.outbox.cancel(job.id)
        #expect(isReadable(watch))
    }

    @Test func otherJobsDoNotWakeAWatchAndACancelledWatchHearsNothing() throws {
        let fixture = try OutboxFixture()
        let mine = try fixture.claimNewFile("mine.pdf")
        let other = try fixture.claimNewFile("other.pdf")
        let watch = try fixture.outbox.watch(mine.id)
        let second = try fixture.outbox.watch(mine.id)
        second.cancel()

        try fixture.outbox.cancel(other.id)
        #expect(!isReadable(watch))

        try fixture.outbox.cancel(mine.id)
        #expect(isReadable(watch))
        #expect(!isReadable(second))
    }
}
