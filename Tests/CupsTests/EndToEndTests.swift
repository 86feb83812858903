import CCups
import Foundation
import Testing

/// The whole path with the built executables: `lp` → private cupsd → backend → `spoolbridge run`
/// → outbox → delivery → the cloud emulator.
@Suite(
    "End to end: lp to the cloud emulator", .serialized,
    .enabled(if: PrivateCupsd.isAvailable, "\(PrivateCupsd.unavailableReason ?? "")"))
struct EndToEndTests {
    let work: TemporaryDirectory
    let socketPath: String

    init() throws {
        work = try TemporaryDirectory("sbe2e")
        socketPath = work.file("backend.sock")
    }

    func withEverything(
        maxDocumentMB: Int = 200, startDaemon: Bool = true,
        _ body: (PrivateCupsd, DaemonProcess, EmulatorProcess) async throws -> Void
    ) async throws {
        let emulator = try await EmulatorProcess(directory: work)
        let daemon = try DaemonProcess(directory: work, emulator: emulator, socketPath: socketPath, maxDocumentMB: maxDocumentMB)
        let cups = try await PrivateCupsd(environment: ["SPOOLBRIDGE_SOCKET": socketPath])
        do {
            if startDaemon { try await daemon.start() }
            try await body(cups, daemon, emulator)
        } catch {
            Issue.record("daemon log tail:\n\(daemon.log.suffix(2000))")
            try? await daemon.stop()
            await cups.stop()
            throw error
        }
        try await daemon.stop()
        await cups.stop()
    }

    func waitUntil(_ cups: PrivateCupsd, job id: Int, _ what: String, _ condition: (PrivateCupsd.JobStatus) -> Bool) async throws {
        do {
            try await eventually(timeout: .seconds(30), "CUPS job \(id): \(what)") { condition(try cups.job(id)) }
        } catch {
            Issue.record("job \(id) is \(try cups.job(id)); backend said: \(cups.backendLines(job: id).suffix(8))")
            throw error
        }
    }

    @Test func rawAndPDFQueuesDeliverOptionsUserTitleAndBytes() async throws {
        try await withEverything { cups, _, emulator in
            try await cups.addQueue("FinanceRaw", uri: "spoolbridge:/Finance")
            try await cups.addQueue("FinancePDF", uri: "spoolbridge:/Finance", ppd: TestPaths.cupsScripts + "/spoolbridge-pdf.ppd")
            let file = try work.write("q3.pdf", pdfBytes(padding: 80_000))
            let digest = try await sha256Hex(ofFile: file, in: work.path)
            let options = ["sides=two-sided-long-edge", "print-color-mode=monochrome", "media=A4", "orientation-requested=4"]
            for queue in ["FinanceRaw", "FinancePDF"] {
                let id = try await cups.submit(file, to: queue, user: "alice", copies: 2, options: options, title: "Q3 report")
                try await waitUntil(cups, job: id, "completed") { $0.isCompleted }
            }
            try await eventually("both documents reached the cloud") { try emulator.documents().count == 2 }
            for document in try emulator.documents() {
                #expect(document.username == "alice")
                #expect(document.portname == "Finance")
                #expect(document.title == "Q3 report.pdf")
                #expect(document.copies == 2)
                #expect(document.duplex == 1)
                #expect(document.grayscale == true)
                #expect(document.outputPageSize == "A4")
                #expect(document.pageOrientation == 1)
                #expect(document.sha256 == digest)
            }
        }
    }

    @Test func jobWaitsInCUPSWhileTheDaemonIsDownAndIsDeliveredAfterItStarts() async throws {
        try await withEverything(startDaemon: false) { cups, daemon, emulator in
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("later.pdf", pdfBytes()), to: "FinanceQ")
            try await waitUntil(cups, job: id, "held for a retry, not completed or aborted") {
                $0.message.contains("cannot reach the spoolbridge daemon") && $0.isPendingOrHeld
            }
            #expect(try cups.printer("FinanceQ").state != IPP_PSTATE_STOPPED)
            try await daemon.start()
            try await waitUntil(cups, job: id, "completed once the daemon runs") { $0.isCompleted }
            try await eventually("the document reached the cloud") { try emulator.documents().count == 1 }
        }
    }

    @Test func documentOverTheLimitIsCancelledWithItsReasonAndTheQueueStaysEnabled() async throws {
        try await withEverything(maxDocumentMB: 1) { cups, _, emulator in
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("huge.pdf", pdfBytes(padding: 3 << 20)), to: "FinanceQ")
            try await waitUntil(cups, job: id, "cancelled") { $0.isCanceled }
            #expect(try cups.job(id).message.contains("over the limit of 1 MB"))
            let lpstat = try await cups.command("lpstat", ["-l", "-W", "completed", "-o", "FinanceQ"])
            #expect(lpstat.contains("over the limit of 1 MB"), "admins see the reason in lpstat -l: \(lpstat)")
            let printer = try cups.printer("FinanceQ")
            #expect(printer.state != IPP_PSTATE_STOPPED && printer.acceptingJobs)
            let next = try await cups.submit(try work.write("ok.pdf", pdfBytes()), to: "FinanceQ")
            try await waitUntil(cups, job: next, "completed") { $0.isCompleted }
            try await eventually("only the small document reached the cloud") { try emulator.documents().count == 1 }
        }
    }

    @Test func sameJobUUIDHandedOverTwiceIsOneDocument() async throws {
        try await withEverything { cups, _, emulator in
            try await cups.addQueue("FinanceQ", uri: "spoolbridge:/Finance")
            let id = try await cups.submit(try work.write("once.pdf", pdfBytes()), to: "FinanceQ")
            try await waitUntil(cups, job: id, "completed") { $0.isCompleted }
            try await eventually("the document reached the cloud") { try emulator.documents().count == 1 }
            try await cups.command("lp", ["-i", "\(id)", "-H", "restart"])
            try await eventually("CUPS handed the job over a second time") {
                cups.backendLines(job: id).filter { $0.hasPrefix("queued for upload as job") }.count == 2
            }
            try await waitUntil(cups, job: id, "completed again") { $0.isCompleted }
            let answers = Set(cups.backendLines(job: id).filter { $0.hasPrefix("queued for upload as job") })
            #expect(answers.count == 1, "both handovers name the same job: \(answers)")
            #expect(try emulator.documents().count == 1)
        }
    }
}
