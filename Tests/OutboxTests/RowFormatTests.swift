import GRDB
import SpoolbridgeCore
import Testing

@testable import Outbox

@Suite("Outbox: rows written by hand are stored exactly as GRDB's Codable writes them")
struct RowFormatTests {
    @Test(arguments: [false, true])
    func aHandWrittenInsertStoresTheSameColumnsAsGRDB(plain: Bool) throws {
        let fixture = try OutboxFixture()
        let origin = JobSource.HotFolderOrigin(
            originalPath: "/srv/hot/a \"quoted\" ünïcode.pdf", failedDirectory: "/srv/hot-failed", archiveDirectory: nil)
        let request = DocumentRequest(
            username: "alice", portname: "Finance", title: "a.pdf",
            options: plain ? PrintOptions() : PrintOptions(copies: 3, duplex: .longEdge))
        let task: JobTask = plain ? .upload : .upload(UploadFollowUp(releaseTo: "SN1", copies: 2))
        let now = Timestamp(millisecondsSince1970: 1_700_000_000_123)
        var byHand = JobRecord(newJobWith: request, source: .hotFolder(origin), state: .receiving,
                               payloadName: "by-hand", payloadSize: 42, now: now, task: task)
        var byGRDB = byHand
        byGRDB.payloadName = "by-grdb"
        let rows = try fixture.outbox.database.write { db in
            try byHand.insertRow(db)
            try byGRDB.insert(db)
            return try Row.fetchAll(db, sql: "SELECT * FROM job WHERE id IN (?, ?) ORDER BY id", arguments: [byHand.id, byGRDB.id])
        }
        try #require(rows.count == 2)
        #expect(byHand.id != nil && byHand.id != byGRDB.id)
        for column in rows[0].columnNames where !["id", "payloadName"].contains(column) {
            #expect(rows[0][column] as DatabaseValue == rows[1][column] as DatabaseValue, "column \(column)")
        }
        let readBack = try fixture.outbox.database.read { db in try JobRecord.fetchOne(db, key: byHand.id) }
        #expect(readBack?.job.request == request)
        #expect(readBack?.job.task == task)
    }
}
