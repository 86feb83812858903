import Foundation
import Glibc
import Outbox
import SpoolbridgeCore
import Testing

@testable import Ingest

/// Never taking a file that is still being written: files found by a scan settle like files announced by events,
/// and `settle_ms` holds a file whose writer closes and comes back. Part of the serialized service suite.
extension HotFolderServiceTests {
    @Test func aFileBeingWrittenAtStartIsTakenOnceCompleteAfterItsWriterCloses() async throws {
        let fixture = try HotFolderFixture()
        let settle = Duration.milliseconds(1_000)
        let writer = try OpenWriter(fixture.hot + "/growing.pdf")
        try writer.append(1_024, of: UInt8(ascii: "%"))
        fixture.start(fixture.settings(settleTime: settle))
        // The writer's own pace (1 KB every 200 ms, one descriptor held open), not a wait for a condition.
        let writing = Task {
            for round in 0..<10 {
                try await Task.sleep(for: .milliseconds(200))
                try writer.append(1_024)
                if round == 4 {
                    // Once the start-up scan has seen the file and a write after it: a pause longer than the
                    // settle time, the descriptor still open. The write proved a writer; its close is awaited.
                    try await fixture.waitUntilStarted()
                    try writer.append(1_024)
                    try await Task.sleep(for: .milliseconds(1_500))
                }
            }
            let closedAt = Outbox.systemClock()
            writer.close()
            return closedAt
        }
        let closedAt = try await writing.value
        #expect(try fixture.jobs().isEmpty, "taken while its writer still had it open")

        try await fixture.wait(for: "the finished file to become a job") { try !fixture.jobs().isEmpty }
        let jobs = try fixture.jobs()
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.payloadSize == Int64(writer.size))
        #expect(fileSize(fixture.spool + "/payloads/" + job.payloadName) == writer.size)
        #expect(job.createdAt.seconds(since: closedAt) >= 0.99, "taken a full settle time after the close")
        #expect(fixture.contents(of: fixture.hot).isEmpty)
        try await fixture.stop()
    }

    @Test func aFileClosedAndAppendedAgainWithinSettleMsIsOneDocument() async throws {
        let fixture = try HotFolderFixture()
        fixture.start(fixture.settings(settleTime: .milliseconds(1_500)))
        try await fixture.waitUntilStarted()

        let path = fixture.hot + "/scan-0001.pdf"
        try fixture.writeFile(path, String(repeating: "a", count: 4_000))
        // A scanner closing the file and coming back 800 ms later: its pause, not a wait for a condition.
        try await Task.sleep(for: .milliseconds(800))
        try fixture.writeFile(path, String(repeating: "b", count: 4_000), append: true)
        try await fixture.wait(for: "the file to become a job") {
            try !fixture.jobs().isEmpty && fixture.contents(of: fixture.hot).isEmpty
        }

        let jobs = try fixture.jobs()
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job.payloadSize == 8_000)
        let payload = fixture.readText(fixture.spool + "/payloads/" + job.payloadName)
        #expect(payload == String(repeating: "a", count: 4_000) + String(repeating: "b", count: 4_000))
        try await fixture.stop()
    }

    /// A real `IN_Q_OVERFLOW`: the engine's queue is held while more events than the kernel queues are made.
    @Test(.enabled(if: maxQueuedInotifyEvents().map { $0 <= 100_000 } ?? false))
    func afterAnOverflowTheRescanSettlesFilesLikeAnyOther() async throws {
        let fixture = try HotFolderFixture()
        let settle = Duration.milliseconds(800)
        let engine = HotFolderEngine(
            folders: [fixture.settings(settleTime: settle)], outbox: fixture.outbox, logger: fixture.logs.logger)
        try await engine.start()

        let writer = try OpenWriter(fixture.hot + "/slow.pdf")
        try writer.append(1_024, of: UInt8(ascii: "%"))
        engine.queue.suspend()
        // Writes alternating between two ignored files: consecutive events differ, so the kernel cannot merge them.
        let noise = try [OpenWriter(fixture.hot + "/.noise-a"), OpenWriter(fixture.hot + "/.noise-b")]
        for index in 0..<(try #require(maxQueuedInotifyEvents()) + 16) { try noise[index % 2].append(1) }
        // Its events are lost in the overflow: only the rescan can find it.
        try fixture.writeFile(fixture.hot + "/lost-event.pdf", "%PDF lost event")
        engine.queue.resume()
        try await fixture.wait(for: "the overflow warning") {
            fixture.logs.messages(at: .warning).contains { $0.contains("inotify event queue overflowed") }
        }

        // The rescan found slow.pdf open: a write, then a pause longer than the settle time, then more writes.
        try writer.append(1_024)
        try await Task.sleep(for: .milliseconds(1_200))
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(200))  // the writer's pace
            try writer.append(1_024)
        }
        let closedAt = Outbox.systemClock()
        writer.close()
        #expect(try fixture.jobs().allSatisfy { $0.request.title != "slow.pdf" }, "taken while still open")
        try await fixture.wait(for: "both files to become jobs") { try fixture.jobs().count == 2 }

        let slow = try #require(try fixture.jobs().first { $0.request.title == "slow.pdf" })
        #expect(slow.payloadSize == Int64(writer.size))
        #expect(slow.createdAt.seconds(since: closedAt) >= 0.79)
        #expect(try fixture.jobs().contains { $0.request.title == "lost-event.pdf" })
        await engine.stop()
    }

    private func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}

/// The kernel's per-instance inotify queue length (`fs.inotify.max_queued_events`).
func maxQueuedInotifyEvents() -> Int? {
    (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
        .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}
