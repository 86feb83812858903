import EmulatorKit
import Foundation
import Testing

/// `[[records]]` drop folders with a real daemon: JSON Lines in, records at the emulator, bad lines
/// kept with their line numbers and reasons.
@Suite(.serialized)
struct RecordsFolderTests {
    @Test func goodLinesAreRecordedAndBadOnesRejectedWithLineNumbers() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let records = try directory.subdirectory("accounting")
        let failed = directory.path + "/accounting-failed"
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[records]]
            path = "\(records)"
            settle_ms = 50
            """)
        // Present before the start (the scan finds it) and read after a restart of the cloud.
        try drop(Array("""
            {"type":"SCAN","pages":4,"serial":"SN9","user":"bob"}

            """.utf8), named: "early.jsonl", into: records)
        emulator.inject(.status(503, message: "busy (injected)"), count: 2)
        try daemon.start()
        try await daemon.waitUntilRunning()

        let text = """
            {"type":"COPY","pages":12,"color-pages":3,"paper":"A4","duplex":true,"serial":"SN123","user":"alice","provider":7}
            {"type":"PHOTO","pages":1,"serial":"SN1"}
            {"type":"FAX","pages":2,"address":"10.0.0.7","title":"to HQ"}
            {"type":"SCAN","pages":-2,"serial":"SN1"}
            {"type":"COPY","pages":2,"color-pages":5,"serial":"SN1"}

            """
        try drop(Array(text.utf8), named: "day.jsonl", into: records)
        try drop([0xFF, 0xFE, 0x00, 0x41], named: "binary.jsonl", into: records)

        try await waitUntil("three records arrive") { emulator.records().count >= 3 }
        let fields = emulator.records().map(\.fields)
        #expect(fields.count == 3)
        #expect(fields.contains([
            "jobtype": "COPY", "totalpages": "12", "colorpages": "3", "papersize": "A4", "duplex": "true",
            "serialnumber": "SN123", "username": "alice", "providerid": "7",
        ]))
        #expect(fields.contains(["jobtype": "FAX", "totalpages": "2", "address": "10.0.0.7", "title": "to HQ"]))
        #expect(fields.contains(["jobtype": "SCAN", "totalpages": "4", "serialnumber": "SN9", "username": "bob"]))

        try await waitUntil("the folder emptied") { contents(of: records).isEmpty }
        let rejectedLines = try String(contentsOfFile: failed + "/day.jsonl.rejected.jsonl", encoding: .utf8)
        #expect(rejectedLines == """
            {"type":"PHOTO","pages":1,"serial":"SN1"}
            {"type":"SCAN","pages":-2,"serial":"SN1"}
            {"type":"COPY","pages":2,"color-pages":5,"serial":"SN1"}

            """)
        let note = try String(contentsOfFile: failed + "/day.jsonl.error.txt", encoding: .utf8)
        #expect(note.contains("line 2: type:"))
        #expect(note.contains("line 4: pages:"))
        #expect(note.contains("line 5: color-pages:"))
        #expect(!note.contains("line 1:") && !note.contains("line 3:"))
        #expect(fileExists(failed + "/binary.jsonl"), "rejected whole, as it was")
        let binaryNote = try String(contentsOfFile: failed + "/binary.jsonl.error.txt", encoding: .utf8)
        #expect(binaryNote.contains("not UTF-8"))

        try await waitUntil("the records delivered") {
            try daemon.cli(["jobs"]).output.components(separatedBy: "\trecord\tdelivered").count - 1 == 3
        }
        daemon.stop()
        try await emulator.shutdown()
    }
}
