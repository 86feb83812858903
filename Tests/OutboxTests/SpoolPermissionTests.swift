import Foundation
import SpoolbridgeCore
import Testing

@testable import Outbox

/// Jobs are other people's documents: the spool is 0700 and every file in it 0600.
@Suite("Outbox: spool permissions")
struct SpoolPermissionTests {
    @Test func theSpoolAndItsDirectoriesAre0700() throws {
        let fixture = try OutboxFixture()
        for directory in [fixture.spool, fixture.layout.payloads, fixture.layout.incoming, fixture.layout.failed] {
            #expect(mode(of: directory) == 0o700, "\(directory) is \(octal(mode(of: directory)))")
        }
    }

    @Test func theDatabaseFilesAre0600() throws {
        let fixture = try OutboxFixture()
        _ = try fixture.claimNewFile("a.pdf")
        let database = fixture.layout.database
        #expect(mode(of: database) == 0o600, "outbox.sqlite is \(octal(mode(of: database)))")
        for companion in [database + "-wal", database + "-shm"] where exists(companion) {
            #expect(mode(of: companion) == 0o600, "\(companion) is \(octal(mode(of: companion)))")
        }
    }

    @Test func theDatabaseIsInWALMode() throws {
        let fixture = try OutboxFixture()
        let journalMode = try fixture.outbox.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journalMode == "wal")
    }

    @Test func aStreamedPayloadIs0600() throws {
        let fixture = try OutboxFixture()
        let writer = try fixture.streamedPayload(Array("cups".utf8))
        let staging = try #require(fixture.contents(of: fixture.layout.incoming).first)
        #expect(mode(of: fixture.layout.incoming + "/" + staging) == 0o600)
        let result = try fixture.outbox.enqueue(fixture.cupsSubmission(uuid: "urn:uuid:p"), payload: writer)
        let job = try #require(try fixture.outbox.job(result.jobID))
        #expect(mode(of: fixture.outbox.payloadPath(of: job)) == 0o600)
    }

    @Test
    func aClaimedHotFolderFileIs0600InTheSpool() throws {
        let fixture = try OutboxFixture()
        let job = try fixture.claimNewFile("shared.pdf")  // dropped as 0644
        let payload = fixture.outbox.payloadPath(of: job)
        #expect(mode(of: payload) == 0o600, "payload is \(octal(mode(of: payload)))")
    }

    @Test func everythingInTheSpoolIsPrivateAfterAFailedCupsJob() throws {
        let fixture = try OutboxFixture()
        let created = try fixture.outbox.enqueue(
            fixture.cupsSubmission(uuid: "urn:uuid:q"), payload: fixture.streamedPayload(Array("secret".utf8)))
        let job = try fixture.startUpload(of: try #require(try fixture.outbox.job(created.jobID)))
        try fixture.outbox.complete([.failed(job.id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "no"))])

        let enumerator = try #require(FileManager.default.enumerator(atPath: fixture.spool))
        var checked = 0
        while let relative = enumerator.nextObject() as? String {
            let path = fixture.spool + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let expected: mode_t = (info.st_mode & S_IFMT) == S_IFDIR ? 0o700 : 0o600
            #expect(info.st_mode & 0o7777 == expected, "\(relative) is \(octal(info.st_mode & 0o7777))")
            checked += 1
        }
        #expect(checked >= 6)
        #expect(exists(fixture.layout.failed + "/invoice.pdf.error.txt"))
    }
}

@Suite("Outbox: durability settings")
struct OutboxDurabilitySettingsTests {
    /// GRDB switches a pool to WAL with synchronous = NORMAL; the outbox needs FULL on the writer,
    /// or a commit that returned could still be lost in a power cut.
    @Test func theWriterCommitsWithSynchronousFull() throws {
        let fixture = try OutboxFixture()
        let level = try fixture.outbox.database.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        #expect(level == 2, "PRAGMA synchronous is \(String(describing: level)), expected 2 (FULL)")
        let mode = try fixture.outbox.database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
