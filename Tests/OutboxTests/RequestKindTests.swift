import Foundation
import GRDB
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: records, releases and card swipes beside uploads")
struct RequestKindTests {
    static let record: HistoryRecord = {
        var record = HistoryRecord(jobType: .copy)
        record.totalPages = 12
        record.colorPages = 3
        record.paperSize = "A4"
        record.duplex = true
        record.serialNumber = "SN123"
        record.username = "alice"
        record.providerID = 7
        return record
    }()

    static let tasks: [JobTask] = [
        .record(record),
        .release(DocumentRelease(documentUUID: "0b7e9f1c-1111", printer: "SN123", copies: 2, grayscale: true, duplex: .longEdge, retain: false)),
        .card(CardSwipe(cardID: "04A1B2C3", reader: "10.0.0.7")),
    ]

    @Test("each kind round-trips through the outbox and a restart", arguments: tasks)
    func roundTrip(task: JobTask) throws {
        let fixture = try OutboxFixture()
        let source = JobSource.submitted(.init(channel: .cli, detail: "spoolbridge record"))
        let results = try fixture.outbox.enqueue([RequestSubmission(task: task, source: source)])
        guard case .created(let id)? = results.first else { Issue.record("got \(results)"); return }
        for outbox in [fixture.outbox, try fixture.reopen()] {
            let job = try #require(try outbox.job(id))
            #expect(job.task == task)
            #expect(job.kind == task.kind)
            #expect(job.source == source)
            #expect(job.state == .queued)
            #expect(job.payloadSize == 0)
        }
        if case .card = task {
            let job = try #require(try fixture.outbox.job(id))
            #expect(!job.request.title.contains("04A1B2C3"), "jobs shows the reader, not the card")
        }
        #expect(try fixture.outbox.jobCountsByKind()[task.kind]?[.queued] == 1)
    }

    @Test func aKeyedSubmissionHandedOverTwiceIsOneJob() throws {
        let fixture = try OutboxFixture()
        let source = JobSource.submitted(.init(channel: .recordsFile, detail: "a.jsonl line 1", key: "a.jsonl:1"))
        let submission = RequestSubmission(task: .record(Self.record), source: source)
        let first = try fixture.outbox.enqueue([submission])
        let second = try fixture.outbox.enqueue([submission])
        guard case .created(let id)? = first.first, case .duplicate(let again)? = second.first else {
            Issue.record("got \(first) then \(second)"); return
        }
        #expect(id == again)
    }

    @Test func aFailedRequestHasNoFileAndCanBeRetried() throws {
        let fixture = try OutboxFixture()
        let results = try fixture.outbox.enqueue([RequestSubmission(
            task: Self.tasks[1], source: .submitted(.init(channel: .cli, detail: "release")))])
        let id = try #require(results.first?.jobID)
        let claimed = try fixture.outbox.claimDueJobs(limit: 10)
        #expect(claimed.map(\.id) == [id])
        let notFound = DeliveryFailure(kind: .permanent, httpStatus: 404, message: "document 0b7e9f1c-1111 not found")
        try fixture.outbox.complete([.failed(id, notFound)])
        let failed = try #require(try fixture.outbox.job(id))
        #expect(failed.state == .failed)
        #expect(failed.lastError?.message == "document 0b7e9f1c-1111 not found")
        #expect(try fixture.outbox.failedPath(of: id) == nil)
        #expect(fixture.contents(of: fixture.hotFailed).isEmpty)
        let retried = try fixture.outbox.retry(id)
        #expect(retried.state == .queued)
    }

    @Test func aDeliveredPushQueueUploadQueuesItsReleaseInTheSameCommit() throws {
        let fixture = try OutboxFixture()
        let path = try fixture.drop("push.pdf")
        var file = fixture.hotFolderFile(path)
        file.task = .upload(UploadFollowUp(releaseTo: "SN123"))
        let outcomes = try fixture.outbox.claimHotFolderFiles([file])
        guard case .claimed(let uploadID, _)? = outcomes.first else { Issue.record("\(outcomes)"); return }
        _ = try fixture.startUpload(of: try #require(try fixture.outbox.job(uploadID)))
        try fixture.outbox.complete([.delivered(uploadID, documentUUID: "9f1c-uuid")])
        let releases = try fixture.outbox.jobs().filter { $0.kind == .release }
        try #require(releases.count == 1)
        #expect(releases[0].state == .queued)
        #expect(releases[0].task == .release(DocumentRelease(documentUUID: "9f1c-uuid", printer: "SN123", afterJob: uploadID)))
        // The same outcome recorded again (a commit retried) queues nothing twice.
        try fixture.outbox.complete([.delivered(uploadID, documentUUID: "9f1c-uuid")])
        #expect(try fixture.outbox.jobs().filter { $0.kind == .release }.count == 1)
    }

    @Test func aPushQueueUploadWithoutADocumentUUIDRecordsAFailedRelease() throws {
        let fixture = try OutboxFixture()
        var file = fixture.hotFolderFile(try fixture.drop("push.pdf"))
        file.task = .upload(UploadFollowUp(releaseTo: "SN123"))
        guard case .claimed(let uploadID, _)? = try fixture.outbox.claimHotFolderFiles([file]).first else { return }
        _ = try fixture.startUpload(of: try #require(try fixture.outbox.job(uploadID)))
        try fixture.outbox.complete([.delivered(uploadID, documentUUID: nil)])
        let release = try #require(try fixture.outbox.jobs().first { $0.kind == .release })
        #expect(release.state == .failed)
        #expect(release.lastError?.message.contains("no document uuid") == true)
    }

    @Test func aReleaseAttachedByAnotherProcessWhileTheUploadIsInFlightIsQueuedOnceDelivered() throws {
        let fixture = try OutboxFixture()
        let upload = try fixture.startUpload(of: try fixture.claimNewFile("in-flight.pdf"))
        // `spoolbridge release --job` from the command line: another Outbox on the same spool, same millisecond.
        let cli = try fixture.reopen()
        #expect(try cli.releaseAfterUpload(upload.id, UploadFollowUp(releaseTo: "SN7")) == .afterDelivery)
        try fixture.outbox.complete([.delivered(upload.id, documentUUID: "cd-34")])
        let release = try #require(try fixture.outbox.jobs().first { $0.kind == .release })
        #expect(release.task == .release(DocumentRelease(documentUUID: "cd-34", printer: "SN7", afterJob: upload.id)))
    }

    @Test func releaseByJobIsAttachedWhileTheUploadIsOnItsWayAndQueuedOnceDelivered() throws {
        let fixture = try OutboxFixture()
        let upload = try fixture.claimNewFile("later.pdf")
        let followUp = UploadFollowUp(releaseTo: "SN9", copies: 2, duplex: .shortEdge)
        #expect(try fixture.outbox.releaseAfterUpload(upload.id, followUp) == .afterDelivery)
        #expect(throws: OutboxError.self) { try fixture.outbox.releaseAfterUpload(upload.id, followUp) }
        _ = try fixture.startUpload(of: upload)
        try fixture.outbox.complete([.delivered(upload.id, documentUUID: "ab-12")])
        let release = try #require(try fixture.outbox.jobs().first { $0.kind == .release })
        #expect(release.task == .release(DocumentRelease(
            documentUUID: "ab-12", printer: "SN9", copies: 2, duplex: .shortEdge, afterJob: upload.id)))

        // Delivered already: queued at once, as often as asked.
        guard case .queued(let again) = try fixture.outbox.releaseAfterUpload(upload.id, followUp) else {
            Issue.record("not queued"); return
        }
        #expect(try fixture.outbox.job(again)?.state == .queued)
        #expect(throws: OutboxError.self) { try fixture.outbox.releaseAfterUpload(again, followUp) }
    }

    @Test func aRecordsFileReadAgainAfterACrashQueuesNothingTwice() throws {
        let fixture = try OutboxFixture()
        let path = try fixture.drop("day.jsonl", """
            {"type":"COPY","pages":1,"serial":"SN1"}
            {"type":"NOPE","serial":"SN1"}
            {"type":"FAX","pages":2,"address":"10.0.0.7"}
            """)
        // A hard link keeps the identity (inode, mtime, size): the file as a crash before its removal leaves it.
        let keep = fixture.root + "/keep.jsonl"
        #expect(link(path, keep) == 0)
        guard case .taken(let jobs, 0, 1, let lines?, let note?) = try fixture.outbox.takeRecordsFile(
            at: path, failedDirectory: fixture.hotFailed) else { Issue.record("not taken"); return }
        #expect(jobs.count == 2)
        #expect(!exists(path))
        #expect(try String(contentsOfFile: lines, encoding: .utf8) == "{\"type\":\"NOPE\",\"serial\":\"SN1\"}\n")
        #expect(try String(contentsOfFile: note, encoding: .utf8).contains("line 2: type:"))
        #expect(rename(keep, path) == 0)
        guard case .taken(let again, 2, 1, _, _) = try fixture.outbox.takeRecordsFile(
            at: path, failedDirectory: fixture.hotFailed) else { Issue.record("not taken again"); return }
        #expect(again.isEmpty)
        #expect(try fixture.outbox.jobs().count == 2)
    }

    @Test func aVersionTwoDatabaseIsMigratedAndItsRowsAreUploads() throws {
        var template = Array("/tmp/spoolbridge-v2-XXXXXX".utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = SpoolLayout(directory: root + "/spool")
        do {
            // The spool as the previous release left it: schema v2, one queued hot-folder upload.
            let first = try Outbox(directory: layout.directory, minFreeBytes: 0)
            _ = first
        }
        try FileManager.default.removeItem(atPath: layout.database)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: layout.database + suffix) }
        let queue = try DatabaseQueue(path: layout.database)
        try Schema.migrator.migrate(queue, upTo: "v2: prune and status indexes")
        let source = JobSource.hotFolder(.init(originalPath: "/srv/hot/a.pdf", failedDirectory: "/srv/hot-failed", archiveDirectory: nil))
        let sourceJSON = String(decoding: try JSONEncoder().encode(source), as: UTF8.self)
        let optionsJSON = String(decoding: try JSONEncoder().encode(PrintOptions()), as: UTF8.self)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO job (state, sourceKind, source, username, portname, title, options, payloadName, payloadSize,
                                 nextAttemptAt, createdAt, updatedAt, sourcePath)
                VALUES ('queued', 'hotfolder', ?, 'alice', 'Finance', 'a.pdf', ?, 'old-payload.pdf', 5, 1, 1, 1, '/srv/hot/a.pdf')
                """, arguments: [sourceJSON, optionsJSON])
        }
        try queue.close()
        try Data("%PDF-".utf8).write(to: URL(fileURLWithPath: layout.payload("old-payload.pdf")))

        let outbox = try Outbox(directory: layout.directory, minFreeBytes: 0)
        let job = try #require(try outbox.jobs().first)
        #expect(job.kind == .upload)
        #expect(job.task == .upload)
        #expect(job.request.title == "a.pdf")
        #expect(try outbox.jobCountsByKind() == [.upload: [.queued: 1]])
        let indexes = try DatabaseQueue(path: layout.database).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        #expect(indexes.contains("job_kind_state"))
    }
}
