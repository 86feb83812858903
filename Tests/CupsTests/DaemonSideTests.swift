import Foundation
import Ingest
import Outbox
import SpoolbridgeCore
import Testing

/// The real backend executable against the real listener and outbox (in this process), no cupsd.
@Suite("Backend → BackendSocketService → outbox", .serialized)
struct DaemonSideTests {
    let directory: TemporaryDirectory
    let socketPath: String

    init() throws {
        directory = try TemporaryDirectory("sbdaemon")
        socketPath = directory.file("backend.sock")
    }

    func makeDaemon(maxDocumentBytes: Int64 = 200 << 20, drainTime: Duration = .seconds(5)) throws -> InProcessDaemon {
        try InProcessDaemon(
            spoolDirectory: directory.file("spool"), socketPath: socketPath, maxDocumentBytes: maxDocumentBytes, drainTime: drainTime)
    }

    func environment(uri: String = "spoolbridge:/Finance") -> [String: String] {
        ["DEVICE_URI": uri, "PRINTER": "FinanceQ", "SPOOLBRIDGE_SOCKET": socketPath, "CONTENT_TYPE": "application/pdf"]
    }

    func arguments(uuid: String = "urn:uuid:aaaa", user: String = "CORP\\Alice", copies: String = "2", file: String?) -> [String] {
        ["spoolbridge:/Finance", "17", user, "Budget", copies,
         "job-uuid=\(uuid) sides=two-sided-short-edge print-color-mode=monochrome media=Letter"] + (file.map { [$0] } ?? [])
    }

    func jobID(in stderr: String) -> JobID? {
        guard let range = stderr.range(of: "INFO: queued for upload as job ") else { return nil }
        return Int64(stderr[range.upperBound...].prefix { $0.isNumber }).map { JobID($0) }
    }

    @Test func handoffMakesADurableJobBeforeOK() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let document = pdfBytes(padding: 150_000)
        let file = try directory.write("budget.pdf", document)
        let result = try await ChildProcess.run(TestPaths.backend, arguments(file: file), environment: environment(), in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        let id = try #require(jobID(in: result.stderr))
        let job = try #require(try daemon.outbox.job(id))
        #expect(job.state == .queued)
        #expect(job.request == DocumentRequest(
            username: "alice", portname: "Finance", title: "Budget.pdf",
            options: PrintOptions(copies: 2, duplex: .shortEdge, grayscale: true, pageSize: "Letter")))
        #expect(job.source == .cups(.init(jobUUID: "urn:uuid:aaaa", cupsJobID: 17, printer: "FinanceQ")))
        #expect(try daemon.payload(of: job) == document)
        #expect(daemon.stagingFiles.isEmpty)
        try await daemon.stop()
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the socket is removed on shutdown")
    }

    /// A push queue: `release_to` in the device URI reaches the job as its follow-up release.
    @Test func aPushQueueDeviceURIMakesAnUploadWithARelease() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let file = try directory.write("push.pdf", pdfBytes())
        let uri = "spoolbridge:/Finance?release_to=SN123"
        let result = try await ChildProcess.run(
            TestPaths.backend, arguments(uuid: "urn:uuid:push", file: file), environment: environment(uri: uri), in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("ignored"), "release_to is a known parameter")
        let id = try #require(jobID(in: result.stderr))
        let job = try #require(try daemon.outbox.job(id))
        #expect(job.task == .upload(UploadFollowUp(releaseTo: "SN123")))
        try await daemon.stop()
    }

    @Test func sameJobUUIDTwiceIsOneJob() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let file = try directory.write("a.pdf", pdfBytes())
        let first = try await ChildProcess.run(TestPaths.backend, arguments(uuid: "urn:uuid:twice", file: file), environment: environment(), in: directory.path)
        let second = try await ChildProcess.run(TestPaths.backend, arguments(uuid: "urn:uuid:twice", file: file), environment: environment(), in: directory.path)
        #expect(first.status == 0 && second.status == 0)
        #expect(jobID(in: first.stderr) != nil)
        #expect(jobID(in: first.stderr) == jobID(in: second.stderr))
        #expect(try daemon.allJobs().count == 1)
        #expect(daemon.stagingFiles.isEmpty)
        try await daemon.stop()
    }

    @Test func documentOverTheLimitIsCancelledWithoutAJob() async throws {
        let daemon = try makeDaemon(maxDocumentBytes: 1 << 20)
        try await daemon.start()
        let big = documentBytes(2 << 20)
        // Declared up front (a spool file): refused before the transfer.
        let file = try directory.write("big.pdf", big)
        let declared = try await ChildProcess.run(TestPaths.backend, arguments(file: file), environment: environment(), in: directory.path)
        #expect(declared.status == 5)
        #expect(declared.stderr.contains("ERROR: spoolbridge refused the job (too-large): the document (2 MB) is over the limit of 1 MB"), "\(declared.stderr)")
        // Streamed (stdin after filters): refused when the limit is crossed.
        let streamed = try await ChildProcess.run(TestPaths.backend, arguments(file: nil), environment: environment(), in: directory.path, stdin: big)
        #expect(streamed.status == 5)
        #expect(streamed.stderr.contains("over the limit of 1 MB"), "\(streamed.stderr)")
        #expect(try daemon.allJobs().isEmpty)
        #expect(daemon.stagingFiles.isEmpty)
        try await daemon.stop()
    }

    @Test func emptyDocumentIsCancelled() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let result = try await ChildProcess.run(TestPaths.backend, arguments(file: nil), environment: environment(), in: directory.path, stdin: [])
        #expect(result.status == 5)
        #expect(result.stderr.contains("no data"))
        #expect(try daemon.allJobs().isEmpty)
        try await daemon.stop()
    }

    @Test func cancelledTransferLeavesNothing() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let child = try ChildProcess(
            executable: TestPaths.backend, arguments: arguments(file: nil), environment: environment(),
            outputDirectory: directory.path, pipeStdin: true)
        try child.writeStdin(documentBytes(200_000))
        try await eventually("the daemon is staging the job") { !daemon.stagingFiles.isEmpty }
        kill(child.pid, SIGTERM)
        #expect(try await child.wait(timeout: .seconds(5)) == 6)
        try await eventually("the partial job is discarded") { daemon.stagingFiles.isEmpty }
        #expect(try daemon.allJobs().isEmpty)
        try await eventually("the daemon logged the abort") { daemon.logs.messages.contains { $0.contains("aborted by the backend") } }
        try await daemon.stop()
    }

    @Test func waitModeReportsDeliveryAndFailure() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let file = try directory.write("w.pdf", pdfBytes())
        for (uuid, outcome) in [("urn:uuid:w1", "delivered"), ("urn:uuid:w2", "failed")] {
            let child = try ChildProcess(
                executable: TestPaths.backend, arguments: arguments(uuid: uuid, file: file),
                environment: environment(uri: "spoolbridge:/Finance?wait=30"), outputDirectory: directory.path)
            // Play delivery: wait for the job, take it, report the outcome.
            var claimed: [Job] = []
            try await eventually("the job is queued") {
                claimed = try daemon.outbox.claimDueJobs(limit: 1)
                return !claimed.isEmpty
            }
            let id = claimed[0].id
            if outcome == "delivered" {
                try daemon.outbox.complete([.delivered(id, documentUUID: "5e1f-doc")])
            } else {
                try daemon.outbox.complete([.rejected(id, DeliveryFailure(kind: .permanent, httpStatus: 400, message: "unknown input port"))])
            }
            let status = try await child.wait(timeout: .seconds(10))
            if outcome == "delivered" {
                #expect(status == 0, "\(child.standardError)")
                #expect(child.standardError.contains("INFO: uploaded as 5e1f-doc"))
            } else {
                #expect(status == 5, "\(child.standardError)")
                #expect(child.standardError.contains("ERROR: upload of job \(id) failed: HTTP 400: unknown input port"))
            }
        }
        try await daemon.stop()
    }

    @Test func waitModeAnswersPendingWhenTheWaitRunsOut() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let file = try directory.write("p.pdf", pdfBytes())
        let result = try await ChildProcess.run(
            TestPaths.backend, arguments(file: file), environment: environment(uri: "spoolbridge:/Finance?wait=1"), in: directory.path)
        #expect(result.status == 0)
        #expect(result.stderr.contains("not uploaded within 1 s"), "\(result.stderr)")
        try await daemon.stop()
    }

    /// A waiting connection sleeps in poll(2) on the job and the listener's stop signal: stopping the
    /// daemon answers it at once, long before the drain time would cut it off.
    @Test func waitModeAnswersPendingAtOnceWhenTheDaemonStops() async throws {
        let daemon = try makeDaemon(drainTime: .seconds(60))
        try await daemon.start()
        let file = try directory.write("s.pdf", pdfBytes())
        let child = try ChildProcess(
            executable: TestPaths.backend, arguments: arguments(uuid: "urn:uuid:stop", file: file),
            environment: environment(uri: "spoolbridge:/Finance?wait=120"), outputDirectory: directory.path)
        try await eventually("the backend waits for the upload") { child.standardError.contains("waiting up to 120 s") }

        try await daemon.stop()

        #expect(try await child.wait(timeout: .seconds(10)) == 0, "\(child.standardError)")
        #expect(child.standardError.contains("not uploaded within 120 s"), "\(child.standardError)")
    }

    @Test func shutdownCutsOffATransferAndCUPSRetries() async throws {
        let daemon = try makeDaemon(drainTime: .milliseconds(100))
        try await daemon.start()
        let child = try ChildProcess(
            executable: TestPaths.backend, arguments: arguments(file: nil), environment: environment(),
            outputDirectory: directory.path, pipeStdin: true)
        try child.writeStdin(documentBytes(100_000))
        try await eventually("the daemon is staging the job") { !daemon.stagingFiles.isEmpty }
        try await daemon.stop()
        child.closeStdin()
        #expect(try await child.wait(timeout: .seconds(10)) == 6, "\(child.standardError)")
        #expect(child.standardError.contains("CUPS will retry the job"))
        #expect(daemon.stagingFiles.isEmpty)
        #expect(try daemon.allJobs().isEmpty)
    }

    @Test(.enabled(if: isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv to run as other users"))
    func onlyRootLpAndTheDaemonUserMayHandOver() async throws {
        let daemon = try makeDaemon()
        try await daemon.start()
        let file = try directory.write("u.pdf", pdfBytes(), mode: 0o644)
        func run(as user: String, uuid: String) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await ChildProcess.run(
                "/usr/bin/setpriv", ["setpriv", "--reuid=\(user)", "--regid=\(user == "nobody" ? "nogroup" : user)", "--clear-groups",
                                     TestPaths.backend] + arguments(uuid: uuid, file: file).dropFirst(),
                environment: environment(), in: directory.path)
        }
        let stranger = try await run(as: "nobody", uuid: "urn:uuid:nobody")
        #expect(stranger.status == 6, "\(stranger.stderr)")
        #expect(stranger.stderr.contains("(forbidden)"))
        let lp = try await run(as: "lp", uuid: "urn:uuid:lp")
        #expect(lp.status == 0, "\(lp.stderr)")
        #expect(try daemon.allJobs().count == 1)
        try await daemon.stop()
    }

    @Test func socketPathProblemsAreReportedAndStaleSocketsReplaced() async throws {
        // Missing directory.
        let nowhere = try InProcessDaemon(spoolDirectory: directory.file("spool1"), socketPath: directory.file("missing/b.sock"))
        await #expect(throws: BackendSocketError.self) { try await nowhere.start() }
        // Something else at the path.
        let occupied = try directory.write("occupied.sock", [1])
        let blocked = try InProcessDaemon(spoolDirectory: directory.file("spool2"), socketPath: occupied)
        await #expect(throws: BackendSocketError.self) { try await blocked.start() }
        #expect(FileManager.default.fileExists(atPath: occupied), "a non-socket is never removed")
        // A live daemon is not displaced; a stale socket is replaced.
        let first = try makeDaemon()
        try await first.start()
        let second = try InProcessDaemon(spoolDirectory: directory.file("spool3"), socketPath: socketPath)
        await #expect(throws: BackendSocketError.self) { try await second.start() }
        try await first.stop()
        leaveStaleSocket(at: socketPath)
        let third = try InProcessDaemon(spoolDirectory: directory.file("spool4"), socketPath: socketPath)
        try await third.start()
        var info = stat()
        #expect(stat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o666)
        try await third.stop()
    }
}
