import CCups
import Foundation
import SpoolbridgeCore
import Testing

/// The backend executable against a scripted fake daemon: no cupsd, no root needed.
@Suite("Backend executable alone", .serialized)
struct BackendAloneTests {
    let directory: TemporaryDirectory
    let socketPath: String

    init() throws {
        directory = try TemporaryDirectory("sbback")
        socketPath = directory.file("backend.sock")
        #expect(FileManager.default.isExecutableFile(atPath: TestPaths.backend), "build spoolbridge-backend first (swift build)")
    }

    func environment(uri: String = "spoolbridge:/Finance", extra: [String: String] = [:]) -> [String: String] {
        var environment = ["DEVICE_URI": uri, "PRINTER": "FinanceQ", "SPOOLBRIDGE_SOCKET": socketPath, "CONTENT_TYPE": "application/pdf"]
        environment.merge(extra) { $1 }
        return environment
    }

    func jobArguments(copies: String = "1", options: String = "job-uuid=urn:uuid:1111 media=A4", file: String?) -> [String] {
        ["spoolbridge:/Finance", "17", "alice", "Quarterly", copies, options] + (file.map { [$0] } ?? [])
    }

    @Test func discoveryPrintsTheNetworkLine() async throws {
        let result = try await ChildProcess.run(TestPaths.backend, ["spoolbridge"], in: directory.path)
        #expect(result.status == 0)
        #expect(result.stdout == "network spoolbridge \"Unknown\" \"spoolbridge (cloud print bridge)\"\n")
    }

    @Test func wrongArgumentCountIsAUsageError() async throws {
        let result = try await ChildProcess.run(TestPaths.backend, ["spoolbridge", "1", "2"], in: directory.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Usage:"))
    }

    @Test func noDaemonMeansRetryWithAnErrorLine() async throws {
        let file = try directory.write("doc.pdf", pdfBytes())
        let result = try await ChildProcess.run(TestPaths.backend, jobArguments(file: file), environment: environment(), in: directory.path)
        #expect(result.status == 6)
        #expect(result.stderr.contains("ERROR: cannot reach the spoolbridge daemon at \(socketPath)"), "\(result.stderr)")
    }

    @Test func okAnswerExitsZeroAfterTheWholeDocument() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody(["OK 41"]) }
        let document = documentBytes(300_000)
        let file = try directory.write("doc.pdf", document)
        let result = try await ChildProcess.run(
            TestPaths.backend,
            jobArguments(copies: "2", options: "job-uuid=urn:uuid:2222 sides=two-sided-long-edge print-color-mode=monochrome media=A4 orientation-requested=4", file: file),
            environment: environment(), in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("INFO: queued for upload as job 41\n"))
        let connection = try #require(daemon.connections.first)
        #expect(connection.complete)
        #expect(connection.body == document)
        #expect(connection.header == HandoffHeader(
            jobUUID: "urn:uuid:2222", cupsJobID: 17, printer: "FinanceQ", user: "alice", title: "Quarterly.pdf", port: "Finance",
            options: PrintOptions(copies: 2, duplex: .longEdge, grayscale: true, pageSize: "A4", orientation: .landscape),
            contentType: "application/pdf", declaredSize: Int64(document.count)))
    }

    @Test func stdinIsStreamedAndThePPDDecidesWhoMadeTheCopies() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody(["OK 1"]) }
        let ppd = try directory.write("q.ppd", Array("*PPD-Adobe: \"4.3\"\n*cupsManualCopies: True\n".utf8))
        let document = documentBytes(200_000, seed: 3)
        let result = try await ChildProcess.run(
            TestPaths.backend, jobArguments(copies: "3", file: nil),
            environment: environment(extra: ["PPD": ppd, "FINAL_CONTENT_TYPE": "application/vnd.cups-postscript"]),
            in: directory.path, stdin: document)
        #expect(result.status == 0, "\(result.stderr)")
        let connection = try #require(daemon.connections.first)
        #expect(connection.body == document)
        #expect(connection.header?.declaredSize == nil)
        #expect(connection.header?.options.copies == 1, "filters already made the copies")
        #expect(connection.header?.title == "Quarterly.ps")

        // Without cupsManualCopies the copies are still owed.
        let plainPPD = try directory.write("plain.ppd", Array("*PPD-Adobe: \"4.3\"\n".utf8))
        let again = try await ChildProcess.run(
            TestPaths.backend, jobArguments(copies: "3", file: nil), environment: environment(extra: ["PPD": plainPPD]),
            in: directory.path, stdin: document)
        #expect(again.status == 0)
        #expect(daemon.connections.last?.header?.options.copies == 3)
    }

    @Test(arguments: [
        ("ERR too-large the document (300 MB) is over the limit of 200 MB", Int32(5)),
        ("ERR bad-header nope", 5),
        ("ERR spool-full the spool is low on disk space", 6),
        ("ERR forbidden uid 1000 may not", 6),
        ("ERR some-future-code whatever", 6),
        ("GARBAGE", 6),
    ])
    func errorAnswersMapToExitStatuses(line: String, status: Int32) async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody([line]) }
        let file = try directory.write("doc.pdf", pdfBytes())
        let result = try await ChildProcess.run(TestPaths.backend, jobArguments(file: file), environment: environment(), in: directory.path)
        #expect(result.status == status, "\(line) → \(result.stderr)")
        #expect(result.stderr.contains("ERROR: "))
        if line.hasPrefix("ERR ") {
            #expect(result.stderr.contains(String(line.split(separator: " ", maxSplits: 2).last!)), "the reason reaches lpstat")
        }
        _ = daemon
    }

    @Test func earlyRefusalIsReportedEvenMidTransfer() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyBeforeBody("ERR too-large the document (9 MB) is over the limit of 1 MB") }
        let file = try directory.write("big.pdf", documentBytes(9 << 20))
        let result = try await ChildProcess.run(TestPaths.backend, jobArguments(file: file), environment: environment(), in: directory.path)
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("over the limit of 1 MB"))
        _ = daemon
    }

    @Test func unmappableOptionsCancelBeforeConnecting() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody(["OK 1"]) }
        let file = try directory.write("doc.pdf", pdfBytes())
        let result = try await ChildProcess.run(
            TestPaths.backend, jobArguments(options: "job-uuid=urn:uuid:3 sides=sideways", file: file), environment: environment(), in: directory.path)
        #expect(result.status == 5)
        #expect(result.stderr.contains("ERROR: option sides=sideways cannot be mapped"))
        let badCopies = try await ChildProcess.run(TestPaths.backend, jobArguments(copies: "zero", file: file), environment: environment(), in: directory.path)
        #expect(badCopies.status == 5)
        #expect(daemon.connections.isEmpty)
    }

    @Test func deviceURIWithoutPortHoldsTheJob() async throws {
        let file = try directory.write("doc.pdf", pdfBytes())
        let result = try await ChildProcess.run(
            TestPaths.backend, jobArguments(file: file), environment: environment(uri: "spoolbridge:/"), in: directory.path)
        #expect(result.status == 6)
        #expect(result.stderr.contains("names no input port"))
    }

    @Test func waitModeReportsTheUpload() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { header in
            header.waitSeconds == 20 ? .replyAfterBody(["OK 5", "DELIVERED 0f9e-document"]) : .replyAfterBody(["ERR bad-header no wait"])
        }
        let file = try directory.write("doc.pdf", pdfBytes())
        let result = try await ChildProcess.run(
            TestPaths.backend, jobArguments(file: file), environment: environment(uri: "spoolbridge:/Finance?wait=20"), in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("INFO: uploaded as 0f9e-document"))
        _ = daemon
    }

    @Test(arguments: [("FAILED HTTP 400: unknown input port", Int32(5), "ERROR: upload of job 5 failed: HTTP 400: unknown input port"),
                      ("PENDING HTTP 503: maintenance", 0, "not uploaded within 20 s (last error: HTTP 503: maintenance)")])
    func waitModeReportsFailureAndTimeout(line: String, status: Int32, message: String) async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody(["OK 5", line]) }
        let file = try directory.write("doc.pdf", pdfBytes())
        let result = try await ChildProcess.run(
            TestPaths.backend, jobArguments(file: file), environment: environment(uri: "spoolbridge:/Finance?wait=20"), in: directory.path)
        #expect(result.status == status)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        _ = daemon
    }

    @Test func sigtermAbortsTheTransferWithoutTheEndMarker() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody(["OK 1"]) }
        let child = try ChildProcess(
            executable: TestPaths.backend, arguments: jobArguments(file: nil), environment: environment(),
            outputDirectory: directory.path, pipeStdin: true)
        try child.writeStdin(documentBytes(100_000))
        try await eventually("the daemon received the first bytes") { (daemon.connections.first?.body.count ?? 0) >= 100_000 }
        let clock = ContinuousClock()
        let start = clock.now
        kill(child.pid, SIGTERM)
        let status = try await child.wait(timeout: .seconds(5))
        #expect(clock.now - start < .seconds(2), "the backend exits at once")
        #expect(status == 6)
        try await eventually("the daemon saw the connection close") { daemon.connections.first?.closed == true }
        #expect(daemon.connections.first?.complete == false, "a cancelled job must look truncated")
        #expect(child.standardError.contains("INFO: job cancelled"))
    }

    @Test func sideChannelRequestsAreAnsweredNotImplemented() async throws {
        let daemon = try FakeDaemon(socketPath: socketPath) { _ in .replyAfterBody(["OK 1"]) }
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_LOCAL, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]) }
        let child = try ChildProcess(
            executable: TestPaths.backend, arguments: jobArguments(file: nil), environment: environment(),
            outputDirectory: directory.path, pipeStdin: true, extraFD: (pair[1], CUPS_SC_FD))
        close(pair[1])
        // A filter asking for bidi status: command, status, 16-bit length, no data.
        let request: [UInt8] = [UInt8(CUPS_SC_CMD_GET_BIDI.rawValue), 0, 0, 0]
        #expect(request.withUnsafeBytes { write(pair[0], $0.baseAddress, 4) } == 4)
        var answer = [UInt8](repeating: 0, count: 16)
        var poller = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 5000) == 1, "no side-channel answer within 5 s")
        let count = answer.withUnsafeMutableBytes { read(pair[0], $0.baseAddress, $0.count) }
        #expect(count == 4)
        #expect(answer[0] == UInt8(CUPS_SC_CMD_GET_BIDI.rawValue))
        #expect(answer[1] == UInt8(CUPS_SC_STATUS_NOT_IMPLEMENTED.rawValue))
        child.closeStdin()
        #expect(try await child.wait() == 0)
        _ = daemon
    }
}
