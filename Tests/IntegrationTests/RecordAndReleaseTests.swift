import EmulatorKit
import Foundation
import Testing

/// `spoolbridge record` and `spoolbridge release` against a real daemon process and the emulator.
@Suite(.serialized)
struct RecordAndReleaseTests {
    @Test func cliRecordReachesTheCloudWithExactlyTheDocumentedFields() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(try directory.subdirectory("hot"))"
            port = "Finance"
            user = "alice"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()

        let invalid = try daemon.cli(["record", "--type", "COPY", "--pages", "3", "--color-pages", "5", "--serial", "SN123"])
        #expect(invalid.status == 64)
        #expect(invalid.output.contains("--color-pages"), "\(invalid.output)")
        let noPort = try daemon.cli(["record", "--type", "SCAN"])
        #expect(noPort.status == 64)
        #expect(noPort.output.contains("--serial"), "\(noPort.output)")

        let result = try daemon.cli([
            "record", "--type", "COPY", "--pages", "12", "--color-pages", "3", "--paper", "A4", "--duplex",
            "--serial", "SN123", "--user", "alice", "--provider", "7", "--title", "Q3 report",
        ])
        #expect(result.status == 0, "\(result.output)")
        let id = try #require(Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(result.output)")
        try await waitUntil("the record arrives") { !emulator.records().isEmpty }
        #expect(emulator.records().map(\.fields) == [[
            "jobtype": "COPY", "totalpages": "12", "colorpages": "3", "papersize": "A4", "duplex": "true",
            "title": "Q3 report", "serialnumber": "SN123", "username": "alice", "providerid": "7",
        ]])
        try await waitUntil("job \(id) delivered") {
            try daemon.cli(["jobs"]).output.split(separator: "\n").contains { $0.hasPrefix("\(id)\trecord\tdelivered") }
        }
        let status = try daemon.cli(["status"]).output
        #expect(status.contains("record 0 waiting, 1 delivered, 0 failed"), "\(status)")
        let json = try daemon.cli(["jobs", "--json"]).output
        #expect(json.contains("\"kind\" : \"record\"") || json.contains("\"kind\":\"record\""), "\(json)")
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func recordsQueuedWhileTheDaemonIsDownAreSentOnceItRunsThroughFaults() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(try directory.subdirectory("hot"))"
            port = "Finance"
            user = "alice"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        daemon.stop()
        for pages in 1...5 {
            let result = try daemon.cli(["record", "--type", "FAX", "--pages", "\(pages)", "--address", "10.0.0.7"])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("not running"))
        }
        emulator.inject(.status(503, message: "busy (injected)"), count: 2)
        emulator.inject(.resetConnection, count: 1)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try await waitUntil("five records arrive") { emulator.records().count >= 5 }
        let pages = emulator.records().compactMap { $0.fields["totalpages"] }.sorted()
        #expect(pages == ["1", "2", "3", "4", "5"], "each once")
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func releaseByJobByDocumentAndByCard() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("hot")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Finance"
            user = "alice"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try drop(randomBytes(2000), named: "a.pdf", into: hot)
        let documents = try await emulator.waitForDocuments(count: 1, timeout: .seconds(20))
        try await waitUntil("the upload recorded delivered") { try daemon.cli(["jobs"]).output.contains("\tupload\tdelivered") }
        let uploadID = try #require(try daemon.cli(["jobs"]).output.split(separator: "\t").first.map(String.init))

        let byJob = try daemon.cli(["release", "--job", uploadID, "--printer", "SN123", "--copies", "2", "--duplex", "1"])
        #expect(byJob.status == 0, "\(byJob.output)")
        let byCard = try daemon.cli(["release", "--card", "04A1B2C3", "--reader", "10.0.0.7"])
        #expect(byCard.status == 0, "\(byCard.output)")
        let unknown = try daemon.cli(["release", "--document", "0b7e9f1c-0000-4000-8000-000000000000", "--printer", "SN123"])
        #expect(unknown.status == 0, "\(unknown.output)")
        let both = try daemon.cli(["release", "--card", "04A1B2C3", "--printer", "SN123"])
        #expect(both.status != 0)
        #expect(both.output.contains("--card"))

        try await waitUntil("release and card swipe arrive") {
            emulator.releases().count == 1 && emulator.cardSwipes().count == 1
        }
        #expect(emulator.releases()[0].documentUUID == documents[0].uuid)
        #expect(emulator.releases()[0].printer == "SN123")
        #expect(emulator.releases()[0].fields == ["copies": "2", "duplex": "1"])
        #expect(emulator.cardSwipes()[0].cardID == "04A1B2C3" && emulator.cardSwipes()[0].mac == "10.0.0.7")
        try await waitUntil("the unknown document's release failed with the cloud's message") {
            try daemon.cli(["jobs", "--state", "failed"]).output.contains("document 0b7e9f1c-0000-4000-8000-000000000000 not found")
        }
        let jobs = try daemon.cli(["jobs"]).output
        #expect(!jobs.contains("04A1B2C3"), "jobs shows the reader, not the card")
        daemon.stop()
        try await emulator.shutdown()
    }

    /// A push queue: each upload is followed by its release to the configured serial, through
    /// faults and a `kill -9`; no document released twice.
    @Test func aPushQueueUploadsThenReleasesEachDocumentThroughFaultsAndACrash() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("push")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Push"
            user = "alice"
            release_to = "SN123"
            """)
        emulator.inject(.status(502, message: "bad gateway (injected)"), count: 2)
        try daemon.start()
        try await daemon.waitUntilRunning()
        for index in 0..<4 { try drop(randomBytes(3000 + index), named: "push-\(index).pdf", into: hot) }
        _ = try await emulator.waitForDocuments(count: 2, timeout: .seconds(20))
        daemon.kill9()
        emulator.inject(.resetConnection, count: 1)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try await waitUntil("every file's document released") {
            let released = Set(emulator.releases().map(\.documentUUID))
            let titles = Set(emulator.documents().filter { released.contains($0.uuid) }.map(\.title))
            return titles.count == 4
        }
        try await waitUntil("no job left to do") {
            let jobs = try daemon.cli(["jobs"]).output
            return !jobs.contains("\tqueued\t") && !jobs.contains("\tuploading\t")
        }
        let releases = emulator.releases()
        let uuids = Set(emulator.documents().map(\.uuid))
        #expect(releases.allSatisfy { uuids.contains($0.documentUUID) && $0.printer == "SN123" && $0.fields.isEmpty })
        // The upload's crash window (the cloud kept a copy the daemon never recorded) must not
        // release anything twice: only the recorded copy of each file is released.
        let releasedTitles = emulator.documents().filter { document in
            releases.contains { $0.documentUUID == document.uuid }
        }.map(\.title)
        #expect(releasedTitles.sorted() == ["push-0.pdf", "push-1.pdf", "push-2.pdf", "push-3.pdf"], "one released copy per file")
        // A release is at least once, like every call: one in flight at the kill is sent again after
        // the restart. So each document is released at most once per attempt of its release job.
        struct Row: Decodable { var kind: String; var state: String; var attempts: Int; var documentUUID: String? }
        let rows = try JSONDecoder().decode([Row].self, from: Data(try daemon.cli(["jobs", "--json"]).output.utf8))
        let releaseJobs = rows.filter { $0.kind == "release" }
        #expect(releaseJobs.count == 4 && releaseJobs.allSatisfy { $0.state == "delivered" })
        for job in releaseJobs {
            let sent = releases.filter { $0.documentUUID == job.documentUUID }.count
            #expect(sent >= 1 && sent <= job.attempts, "document \(job.documentUUID ?? "?") released \(sent) times in \(job.attempts) attempts")
        }
        daemon.stop()
        try await emulator.shutdown()
    }
}
