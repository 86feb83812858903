import EmulatorKit
import Foundation
import Testing

/// The daemon as a real process: hot folder → outbox → upload over loopback to the emulator.
@Suite(.serialized)
struct HotFolderDeliveryTests {
    @Test func everyFileArrivesOnceWithTheDocumentedFields() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("finance")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Finance"
            user = "alice"
            copies = 2
            duplex = "short-edge"
            grayscale = true
            """)
        let before = randomBytes(4096)
        try drop(before, named: "already-there.pdf", into: hot)  // present before start: picked up by the scan
        try daemon.start()
        try await daemon.waitUntilRunning()

        let files: [(String, [UInt8])] = [
            ("report 2026.docx", randomBytes(70_000)),
            ("quote\"semi;colon.txt", randomBytes(10)),
            ("line\r\nbreak.pdf", randomBytes(1000)),
            ("Übersicht-résumé-日本.pdf", randomBytes(5000)),
        ]
        for (name, bytes) in files { try drop(bytes, named: name, into: hot) }

        let documents = try await emulator.waitForDocuments(count: 5, timeout: .seconds(20))
        let expected = [("already-there.pdf", before)] + files
        #expect(documents.count == 5)
        for (name, bytes) in expected {
            let matching = documents.filter { $0.title == name }
            #expect(matching.count == 1, "\(name) arrived \(matching.count) times")
            guard let document = matching.first else { continue }
            #expect(document.username == "alice")
            #expect(document.portname == "Finance")
            if name.contains("\r\n") {
                // Control characters never reach a part header; the title keeps the exact name.
                #expect(!document.filename.contains("\r") && !document.filename.contains("\n"))
            } else {
                #expect(document.filename == name)
            }
            #expect(document.copies == 2)
            #expect(document.duplex == 2)
            #expect(document.grayscale == true)
            #expect(document.size == bytes.count)
            #expect(document.sha256 == SHA256Digest.hex(of: bytes))
        }
        try await waitUntil("hot folder emptied") { contents(of: hot).isEmpty }
        // The emulator holds a document before the daemon has recorded its answer: wait for the outbox.
        try await waitUntil("all five recorded as delivered") {
            let jobs = try daemon.cli(["jobs", "--json"])
            return jobs.status == 0 && jobs.output.components(separatedBy: "\"delivered\"").count - 1 == 5
        }
        daemon.stop()
        try await emulator.shutdown()
    }

    /// The README's minimal configuration has no `[cups]`: on a machine without /run/spoolbridge the
    /// daemon must still start, say once that it takes no CUPS jobs, and deliver from the hot folder.
    @Test(.enabled(if: !fileExists("/run/spoolbridge"), "needs a machine without /run/spoolbridge"))
    func theMinimalConfigurationRunsWithoutTheCupsSocketAndDelivers() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("finance")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, cupsSection: nil, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Finance"
            user = "alice"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        let bytes = randomBytes(3000)
        try drop(bytes, named: "minimal.pdf", into: hot)

        let documents = try await emulator.waitForDocuments(count: 1, timeout: .seconds(20))
        #expect(documents.first?.sha256 == SHA256Digest.hex(of: bytes))
        let notice = "CUPS backend socket not available (no /run/spoolbridge); hot folders only"
        #expect(daemon.log.components(separatedBy: notice).count - 1 == 1, "\(daemon.log)")
        #expect(!daemon.log.contains("listening for the CUPS backend"))
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func transientFailuresAreRetriedUntilDelivered() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, concurrency: 1, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "bob"
            """)
        emulator.inject(.status(503, message: "maintenance"), count: 2)
        emulator.inject(.resetConnection)
        emulator.inject(.tooManyRequests(retryAfterSeconds: 1))
        try daemon.start()
        try await daemon.waitUntilRunning()
        let bytes = randomBytes(20_000)
        try drop(bytes, named: "flaky.pdf", into: hot)

        let documents = try await emulator.waitForDocuments(count: 1, timeout: .seconds(30))
        #expect(documents.first?.sha256 == SHA256Digest.hex(of: bytes))
        #expect(emulator.requestCount(path: "/api/v1/documents") == 5)
        // The emulator holds the document before the daemon has recorded its answer: wait for the outbox.
        try await waitUntil("recorded as delivered") {
            try daemon.cli(["jobs", "--json"]).output.contains("\"state\" : \"delivered\"")
        }
        #expect(try daemon.cli(["jobs", "--json"]).output.contains("\"attempts\" : 5"))
        // 503, a reset and 429 say the cloud is down: one line when it goes, one when it is back,
        // not one per retry.
        #expect(daemon.log.components(separatedBy: "the cloud is unavailable").count - 1 == 1)
        #expect(daemon.log.components(separatedBy: "the cloud answers again").count - 1 == 1)
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func permanentRefusalLandsInTheFailedFolderWithTheReason() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let failed = directory.path + "/failed-here"
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "carol"
            failed = "\(failed)"
            """)
        emulator.inject(.status(400, message: "input port P does not exist"))
        try daemon.start()
        try await daemon.waitUntilRunning()
        let bytes = randomBytes(3000)
        try drop(bytes, named: "refused.pdf", into: hot)

        try await waitUntil("file in the failed folder") { fileExists(failed + "/refused.pdf.error.txt") }
        let note = try String(contentsOfFile: failed + "/refused.pdf.error.txt", encoding: .utf8)
        #expect(note.contains("400"))
        #expect(note.contains("input port P does not exist"))
        #expect(note.contains(hot + "/refused.pdf"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: failed + "/refused.pdf")) == Data(bytes))
        #expect(emulator.documents().isEmpty)

        // Fixed on the cloud side: the admin retries and it goes through.
        let failedJob = try daemon.cli(["jobs", "--state", "failed", "--json"]).output
        #expect(failedJob.contains("input port P does not exist"))
        let retry = try daemon.cli(["retry", "1"])
        #expect(retry.status == 0, "\(retry.output)")
        let documents = try await emulator.waitForDocuments(count: 1, timeout: .seconds(20))
        #expect(documents.first?.sha256 == SHA256Digest.hex(of: bytes))
        #expect(!fileExists(failed + "/refused.pdf"))
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func theAPIKeyNeverAppearsInLogsOrCLIOutput() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let secret = "sk-live-0123456789-DO-NOT-LOG"
        // The emulator expects another key: every upload is refused with 403.
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, apiKey: secret, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "P"
            user = "dave"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try drop(randomBytes(100), named: "x.pdf", into: hot)
        try await waitUntil("job failed with 403") {
            try daemon.cli(["jobs", "--state", "failed"]).output.contains("403")
        }
        let outputs = [daemon.log, try daemon.cli(["jobs", "--json"]).output, try daemon.cli(["status"]).output,
                       try String(contentsOfFile: hot + "-failed/x.pdf.error.txt", encoding: .utf8)]
        for output in outputs {
            #expect(!output.contains(secret))
        }
        #expect(try daemon.cli(["jobs"]).output.contains("api_key_file"))
        daemon.stop()
        try await emulator.shutdown()
    }
}
