import Foundation
import GRDB
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: forgetting old finished jobs, and status without full scans")
struct PruneTests {
    static let day = 86_400.0

    @Test func pruningForgetsOnlyOldDeliveredAndCancelledJobs() throws {
        let fixture = try OutboxFixture()
        let oldDelivered = try fixture.startUpload(of: try fixture.claimNewFile("old-delivered.pdf"))
        try fixture.outbox.complete([.delivered(oldDelivered.id, documentUUID: "u1")])
        let oldCancelled = try fixture.claimNewFile("old-cancelled.pdf")
        try fixture.outbox.cancel(oldCancelled.id)
        let oldFailed = try fixture.startUpload(of: try fixture.claimNewFile("old-failed.pdf"))
        try fixture.outbox.complete([.rejected(oldFailed.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad"))])
        let oldQueued = try fixture.claimNewFile("old-queued.pdf")
        fixture.clock.advance(seconds: 8 * Self.day)
        let newDelivered = try fixture.startUpload(of: try fixture.claimNewFile("new-delivered.pdf"))
        try fixture.outbox.complete([.delivered(newDelivered.id, documentUUID: "u2")])
        let newCancelled = try fixture.claimNewFile("new-cancelled.pdf")
        try fixture.outbox.cancel(newCancelled.id)

        let pruned = try fixture.outbox.pruneFinished(olderThan: fixture.clock.now.adding(seconds: -7 * Self.day))

        #expect(pruned == 2)
        #expect(Set(try fixture.allJobs().map(\.id)) == [oldFailed.id, oldQueued.id, newDelivered.id, newCancelled.id])
        #expect(exists(fixture.hotFailed + "/old-cancelled.pdf"), "the cancelled job's file stays in the failed folder")
        #expect(exists(fixture.hotFailed + "/old-failed.pdf"))
    }

    @Test func pruningWorksThroughManyRowsInBatches() throws {
        let fixture = try OutboxFixture()
        let count = 1000
        try insertDeliveredRows(count, into: fixture)
        fixture.clock.advance(seconds: 30 * Self.day)
        try insertDeliveredRows(5, into: fixture, prefix: "recent")

        let pruned = try fixture.outbox.pruneFinished(olderThan: fixture.clock.now.adding(seconds: -Self.day), batchSize: 64)

        #expect(pruned == count)
        #expect(try fixture.allJobs().count == 5)
    }

    @Test func aFinishedJobWhoseFileIsStillInTheSpoolIsKept() throws {
        // Its archive or failed-folder move has not happened yet: recovery still needs the row, or it
        // would take the payload for an orphan and delete it.
        let fixture = try OutboxFixture()
        try writeFile(fixture.layout.payload("stuck.pdf"), "not yet archived")
        let stuck = try fixture.insertRow(
            state: .delivered, source: .hotFolder(.init(originalPath: fixture.hot + "/stuck.pdf")),
            payloadName: "stuck.pdf", documentUUID: "u")
        try insertDeliveredRows(3, into: fixture)
        fixture.clock.advance(seconds: 10 * Self.day)

        // Batches of one: the kept row must not stop the walk.
        let pruned = try fixture.outbox.pruneFinished(olderThan: fixture.clock.now, batchSize: 1)

        #expect(pruned == 3)
        #expect(try fixture.allJobs().map(\.id) == [stuck])
        #expect(readText(fixture.layout.payload("stuck.pdf")) == "not yet archived")
    }

    @Test func countsPerHotFolderAreGroupedByStateAndStayInsideTheFolder() throws {
        let fixture = try OutboxFixture()
        let sibling = fixture.root + "/hotter"  // shares the prefix "hot" but is another folder
        try FileManager.default.createDirectory(atPath: sibling, withIntermediateDirectories: false)
        let delivered = try fixture.startUpload(of: try fixture.claimNewFile("a.pdf"))
        try fixture.outbox.complete([.delivered(delivered.id, documentUUID: "u")])
        _ = try fixture.claimNewFile("b.pdf")
        try FileManager.default.createDirectory(atPath: fixture.hot + "/bob", withIntermediateDirectories: false)
        let nested = try fixture.drop("c.pdf", in: fixture.hot + "/bob")
        _ = try fixture.outbox.claimHotFolderFiles([fixture.hotFolderFile(nested)])
        let elsewhere = try fixture.drop("d.pdf", in: sibling)
        _ = try fixture.outbox.claimHotFolderFiles([fixture.hotFolderFile(elsewhere)])

        #expect(try fixture.outbox.jobCounts(inHotFolder: fixture.hot) == [.delivered: 1, .queued: 2])
        #expect(try fixture.outbox.jobCounts(inHotFolder: fixture.hot + "/") == [.delivered: 1, .queued: 2])
        #expect(try fixture.outbox.jobCounts(inHotFolder: sibling) == [.queued: 1])
        #expect(try fixture.outbox.jobCounts(inHotFolder: fixture.root + "/nowhere").isEmpty)
    }

    @Test func anOutboxFromBeforeTheMigrationCountsItsHotFolderJobs() throws {
        let fixture = try OutboxFixture()
        let old = fixture.root + "/old-spool"
        try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: false)
        let queue = try DatabaseQueue(path: old + "/outbox.sqlite")
        try Schema.migrator.migrate(queue, upTo: "v1: jobs")
        let source = String(decoding: try JSONEncoder().encode(
            JobSource.hotFolder(.init(originalPath: fixture.hot + "/legacy.pdf"))), as: UTF8.self)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO job (state, sourceKind, source, username, portname, title, options, payloadName,
                                 payloadSize, attempts, createdAt, updatedAt)
                VALUES ('delivered', 'hotfolder', ?, 'alice', 'Finance', 'legacy.pdf', '{}', 'p1', 5, 1, 1, 1)
                """, arguments: [source])
        }
        try queue.close()

        let migrated = try Outbox(directory: old, minFreeBytes: 0)

        #expect(try migrated.jobCounts(inHotFolder: fixture.hot) == [.delivered: 1])
        #expect(try migrated.jobs().first?.request.title == "legacy.pdf")
    }

    /// `status` and the watchdog's health check run these; none may read the whole table.
    @Test func statusAndPruneQueriesUseTheirIndexes() throws {
        let fixture = try OutboxFixture()
        try insertDeliveredRows(50, into: fixture)
        let plans = try fixture.outbox.read { db in
            try [
                ("lastFailure", StatusQueries.lastFailure, [] as StatementArguments),
                ("oldestUnfinished", StatusQueries.oldestUnfinished, []),
                ("lastDelivery", StatusQueries.lastDelivery, []),
                ("countsInFolder", StatusQueries.countsInFolder, ["/a/", "/a0"]),
                ("prune", PruneQueries.batch, ["delivered", 0, 0, 0, 0, 10]),
            ].map { name, sql, arguments in
                (name, try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                    .map { $0["detail"] as String }.joined(separator: "; "))
            }
        }
        let plan = Dictionary(uniqueKeysWithValues: plans)
        #expect(plan["lastFailure"]?.contains("USING INDEX job_last_failure") == true, "\(plan)")
        #expect(plan["countsInFolder"]?.contains("USING COVERING INDEX job_source_path") == true, "\(plan)")
        #expect(plan["prune"]?.contains("USING INDEX job_state_age") == true, "\(plan)")
        #expect(plan["lastDelivery"]?.contains("job_state_age") == true, "\(plan)")
        #expect(plan["oldestUnfinished"]?.contains("SEARCH job USING INDEX") == true, "\(plan)")
        for (name, detail) in plans {
            #expect(!detail.contains("SCAN job") || detail.contains("INDEX"), "\(name) scans the table: \(detail)")
        }
    }

    /// Delivered rows with no payload (disposed of), all in one transaction.
    private func insertDeliveredRows(_ count: Int, into fixture: OutboxFixture, prefix: String = "old") throws {
        let now = fixture.clock.now
        try fixture.outbox.write { db in
            for index in 0..<count {
                var record = JobRecord(
                    newJobWith: DocumentRequest(username: "alice", portname: "Finance", title: "\(prefix)-\(index).pdf"),
                    source: .hotFolder(.init(originalPath: fixture.hot + "/\(prefix)-\(index).pdf")), state: .delivered,
                    payloadName: "\(prefix)-\(index)", payloadSize: 5, now: now)
                record.nextAttemptAt = nil
                record.documentUUID = "uuid-\(index)"
                try record.insert(db)
            }
        }
    }
}
