import CCups
import Foundation
import Outbox
import SpoolbridgeCore
import Testing

/// Jobs printed with the real `lp` through a private cupsd into the real listener and outbox.
@Suite(
    "Through a real cupsd", .serialized,
    .enabled(if: PrivateCupsd.isAvailable, "\(PrivateCupsd.unavailableReason ?? "")"))
struct CupsdTests {
    let work: TemporaryDirectory
    let socketPath: String

    init() throws {
        work = try TemporaryDirectory("sbwork")
        socketPath = work.file("backend.sock")
    }

    func makeDaemon(maxDocumentBytes: Int64 = 200 << 20) throws -> InProcessDaemon {
        try InProcessDaemon(spoolDirectory: work.file("spool"), socketPath: socketPath, maxDocumentBytes: maxDocumentBytes)
    }

    /// Runs `body` with a private cupsd (backend installed, `SPOOLBRIDGE_SOCKET` set) and the
    /// in-process daemon, and stops both however `body` ends.
    func withCups(
        backendMode: String = "0755", filters: [String: String] = [:], maxDocumentBytes: Int64 = 200 << 20,
        startDaemon: Bool = true, _ body: (PrivateCupsd, InProcessDaemon) async throws -> Void
    ) async throws {
        let cups = try await PrivateCupsd(backendMode: backendMode, environment: ["SPOOLBRIDGE_SOCKET": socketPath], filters: filters)
        let daemon = try makeDaemon(maxDocumentBytes: maxDocumentBytes)
        do {
            if startDaemon { try await daemon.start() }
            try await body(cups, daemon)
        } catch {
            try? await daemon.stop()
            await cups.stop()
            throw error
        }
        try await daemon.stop()
        await cups.stop()
    }

    /// The PDF PPD with its "-" filter replaced, so CUPS runs `filter` and feeds the backend on stdin.
    func filteredPPD(filter: String, manualCopies: Bool = false) throws -> String {
        var text = try String(contentsOfFile: TestPaths.cupsScripts + "/spoolbridge-pdf.ppd", encoding: .utf8)
        text = text.replacingOccurrences(
            of: "*cupsFilter2: \"application/pdf application/vnd.cups-pdf 0 -\"",
            with: "*cupsFilter2: \"application/pdf application/vnd.cups-pdf 0 \(filter)\"" + (manualCopies ? "\n*cupsManualCopies: True" : ""))
        return try work.write("\(filter)-\(manualCopies).ppd", Array(text.utf8))
    }

    func waitUntil(_ cups: PrivateCupsd, job id: Int, _ what: String, timeout: Duration = .seconds(30), _ condition: (PrivateCupsd.JobStatus) -> Bool) async throws {
        do {
            try await eventually(timeout: timeout, "CUPS job \(id): \(what)") { condition(try cups.job(id)) }
        } catch {
            Issue.record("job \(id) is \(try cups.job(id)); CUPS log tail:\n\(cups.errorLog.split(separator: "\n").suffix(25).joined(separator: "\n"))")
            throw error
        }
    }

    func onlyJob(_ daemon: InProcessDaemon) throws -> Job {
        let jobs = try daemon.allJobs()
        #expect(jobs.count == 1, "\(jobs)")
        return try #require(jobs.first)
    }

    let mappedOptions = ["sides=two-sided-long-edge", "print-color-mode=monochrome", "media=A4", "orientation-requested=4"]
    let expectedOptions = PrintOptions(copies: 2, duplex: .longEdge, grayscale: true, pageSize: "A4", orientation: .landscape)

    @Test(arguments: ["raw", "pdf-ppd", "filtered-ppd"])
    func optionsUserTitleAndBytesArrive(queueKind: String) async throws {
        try await withCups(filters: ["spoolbridge-passthrough": TestPaths.cupsScripts + "/passthrough-filter.sh"]) { cups, daemon in
            let ppd: String? = switch queueKind {
            case "raw": nil
            case "pdf-ppd": TestPaths.cupsScripts + "/spoolbridge-pdf.ppd"
            default: try filteredPPD(filter: "spoolbridge-passthrough")
            }
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance", ppd: ppd)
            let document = pdfBytes(padding: 50_000)
            let file = try work.write("q3.pdf", document)
            let id = try await cups.submit(file, to: "FinanceQ", user: "CORP\\Alice", copies: 2, options: mappedOptions, title: "Q3 report")
            try await waitUntil(cups, job: id, "completed") { $0.isCompleted }
            let job = try onlyJob(daemon)
            #expect(cups.backendLines(job: id).contains("queued for upload as job \(job.id)"), "\(cups.backendLines(job: id).suffix(10))")
            #expect(job.request == DocumentRequest(username: "alice", portname: "Finance", title: "Q3 report.pdf", options: expectedOptions))
            guard case .cups(let origin) = job.source else { Issue.record("not a CUPS job: \(job.source)"); return }
            #expect(origin.cupsJobID == id)
            #expect(origin.printer == "FinanceQ")
            #expect(origin.jobUUID.hasPrefix("urn:uuid:"))
            #expect(try daemon.payload(of: job) == document, "the bytes arrive unchanged")
        }
    }

    @Test func ppdWithManualCopiesSendsOneCopy() async throws {
        try await withCups(filters: ["spoolbridge-passthrough": TestPaths.cupsScripts + "/passthrough-filter.sh"]) { cups, daemon in
            try await cups.addQueue("Manual", uri: "spoolbridge:/Finance", ppd: try filteredPPD(filter: "spoolbridge-passthrough", manualCopies: true))
            let id = try await cups.submit(try work.write("m.pdf", pdfBytes()), to: "Manual", copies: 3)
            try await waitUntil(cups, job: id, "completed") { $0.isCompleted }
            #expect(try onlyJob(daemon).request.options.copies == 1, "the filters made the copies")
        }
    }

    @Test func rootOwnedBackendMode0700RunsAsRootAndWorks() async throws {
        try await withCups(backendMode: "0700") { cups, daemon in
            try await cups.addQueue("RootQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("r.pdf", pdfBytes()), to: "RootQ")
            try await waitUntil(cups, job: id, "completed") { $0.isCompleted }
            #expect(try onlyJob(daemon).request.username == "alice")
        }
    }

    @Test func daemonDownKeepsTheJobPendingUntilItComesBack() async throws {
        try await withCups(startDaemon: false) { cups, daemon in
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("d.pdf", pdfBytes()), to: "FinanceQ")
            try await waitUntil(cups, job: id, "retried after the daemon could not be reached") {
                $0.message.contains("cannot reach the spoolbridge daemon") && $0.isPendingOrHeld
            }
            #expect(try cups.printer("FinanceQ").state != IPP_PSTATE_STOPPED, "the queue must not stop")
            try await daemon.start()
            try await waitUntil(cups, job: id, "completed once the daemon is back") { $0.isCompleted }
            #expect(try onlyJob(daemon).request.portname == "Finance")
        }
    }

    @Test func documentOverTheLimitIsCancelledAndTheQueueStaysEnabled() async throws {
        try await withCups(maxDocumentBytes: 1 << 20) { cups, daemon in
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("big.pdf", pdfBytes(padding: 2 << 20)), to: "FinanceQ")
            try await waitUntil(cups, job: id, "cancelled") { $0.isCanceled }
            let status = try cups.job(id)
            #expect(status.message.contains("over the limit of 1 MB"), "the ERROR text is the job's state message: \(status)")
            let printer = try cups.printer("FinanceQ")
            #expect(printer.state != IPP_PSTATE_STOPPED && printer.acceptingJobs)
            #expect(try daemon.allJobs().isEmpty)
            // The next job goes through.
            let next = try await cups.submit(try work.write("small.pdf", pdfBytes()), to: "FinanceQ")
            try await waitUntil(cups, job: next, "completed") { $0.isCompleted }
        }
    }

    @Test func jobRunAgainBySameUUIDIsOneDocument() async throws {
        try await withCups { cups, daemon in
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("twice.pdf", pdfBytes()), to: "FinanceQ")
            try await waitUntil(cups, job: id, "completed") { $0.isCompleted }
            let job = try onlyJob(daemon)
            // CUPS runs the same job (same job-uuid) again, as after a cupsd restart.
            try await cups.command("lp", ["-i", "\(id)", "-H", "restart"])
            try await eventually("CUPS ran the job a second time") {
                cups.backendLines(job: id).filter { $0.hasPrefix("queued for upload as job") }.count >= 2
            }
            try await waitUntil(cups, job: id, "completed again") { $0.isCompleted }
            #expect(cups.backendLines(job: id).filter { $0.hasPrefix("queued for upload as job") } == Array(repeating: "queued for upload as job \(job.id)", count: 2),
                    "both runs are answered with the same outbox job")
            #expect(try daemon.allJobs().count == 1)
        }
    }

    @Test func cancellingInCUPSDiscardsThePartialJob() async throws {
        try await withCups(filters: ["spoolbridge-stall": TestPaths.cupsScripts + "/stalling-filter.sh"]) { cups, daemon in
            try await cups.addQueue("Stall", uri: "spoolbridge:/Finance", ppd: try filteredPPD(filter: "spoolbridge-stall"))
            let id = try await cups.submit(try work.write("c.pdf", pdfBytes(padding: 100_000)), to: "Stall")
            try await eventually("the daemon is receiving the job") { !daemon.stagingFiles.isEmpty }
            try await cups.command("cancel", ["\(id)"])
            try await waitUntil(cups, job: id, "cancelled") { $0.isCanceled }
            try await eventually("the partial job is discarded") { daemon.stagingFiles.isEmpty }
            #expect(try daemon.allJobs().isEmpty)
        }
    }
}
