import CCups
import Foundation
import Testing

/// A private cupsd (scripts/cups/private-cupsd.sh) with the freshly built backend installed as
/// `spoolbridge`, driven through the real lpadmin/lp/cancel commands and queried over IPP.
final class PrivateCupsd: @unchecked Sendable {
    let directory: TemporaryDirectory
    /// The cupsd's Unix socket: `-h` for the CUPS commands.
    let server: String

    /// Why cupsd tests cannot run here, or nil when they can.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "cupsd tests need root (cupsd switches to lp itself)" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/cupsd") else {
            return "cupsd is not installed (apt-get install cups-daemon cups-client)"
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lp") else { return "lp is not installed (cups-client)" }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    init(backendMode: String = "0755", environment: [String: String] = [:], filters: [String: String] = [:]) async throws {
        directory = try TemporaryDirectory("sbcupsd")
        var arguments = ["private-cupsd.sh", "start", directory.path, "--backend", "spoolbridge=\(TestPaths.backend)", "--backend-mode", backendMode]
        for (name, value) in environment { arguments += ["--env", "\(name)=\(value)"] }
        for (name, path) in filters { arguments += ["--filter", "\(name)=\(path)"] }
        let result = try await ChildProcess.run(TestPaths.cupsScripts + "/private-cupsd.sh", arguments, in: directory.path, timeout: .seconds(60))
        guard result.status == 0 else {
            throw Failure(description: "private cupsd did not start (\(result.status)): \(result.stderr)")
        }
        server = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        // A test that failed before `stop()` must not leave a cupsd behind.
        if let text = try? String(contentsOfFile: directory.file("cupsd.pid"), encoding: .utf8),
           let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
    }

    func stop() async {
        _ = try? await ChildProcess.run(TestPaths.cupsScripts + "/private-cupsd.sh", ["private-cupsd.sh", "stop", directory.path], in: directory.path)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a CUPS command (`lp`, `lpadmin`, …) against this cupsd.
    @discardableResult
    func command(_ name: String, _ arguments: [String]) async throws -> String {
        let path = ["/usr/bin/", "/usr/sbin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? name
        let result = try await ChildProcess.run(path, [name, "-h", server] + arguments, in: directory.path)
        guard result.status == 0 else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// `lpadmin -p NAME -E -v URI` with `-m raw` or `-P PPD`.
    func addQueue(_ name: String, uri: String, ppd: String? = nil) async throws {
        try await command("lpadmin", ["-p", name, "-E", "-v", uri] + (ppd.map { ["-P", $0] } ?? ["-m", "raw"]))
    }

    /// `lp` as `user`; returns the CUPS job id.
    func submit(
        _ file: String, to queue: String, user: String = "alice", copies: Int? = nil, options: [String] = [], title: String? = nil
    ) async throws -> Int {
        var arguments = ["-d", queue, "-U", user]
        if let copies { arguments += ["-n", "\(copies)"] }
        for option in options { arguments += ["-o", option] }
        if let title { arguments += ["-t", title] }
        let output = try await command("lp", arguments + [file])
        // "request id is Q-12 (1 file(s))"
        guard let word = output.split(separator: " ").first(where: { $0.hasPrefix(queue + "-") }),
              let id = Int(word.dropFirst(queue.count + 1))
        else { throw Failure(description: "unexpected lp output: \(output)") }
        return id
    }

    // MARK: IPP

    struct JobStatus: CustomStringConvertible {
        var state: ipp_jstate_t
        var reasons: [String]
        var message: String

        var isPendingOrHeld: Bool { state == IPP_JSTATE_PENDING || state == IPP_JSTATE_HELD }
        var isCompleted: Bool { state == IPP_JSTATE_COMPLETED }
        var isCanceled: Bool { state == IPP_JSTATE_CANCELED }
        var description: String { "state \(state.rawValue) reasons \(reasons) message \"\(message)\"" }
    }

    struct PrinterStatus {
        var state: ipp_pstate_t
        var acceptingJobs: Bool
        var reasons: [String]
    }

    func job(_ id: Int) throws -> JobStatus {
        let response = try request(IPP_OP_GET_JOB_ATTRIBUTES, uriName: "job-uri", uri: "ipp://localhost/jobs/\(id)")
        defer { ippDelete(response) }
        return JobStatus(
            state: ipp_jstate_t(rawValue: UInt32(integer(response, "job-state", IPP_TAG_ENUM) ?? 0)),
            reasons: strings(response, "job-state-reasons", IPP_TAG_ZERO),
            message: strings(response, "job-printer-state-message", IPP_TAG_ZERO).first ?? "")
    }

    func printer(_ name: String) throws -> PrinterStatus {
        let response = try request(IPP_OP_GET_PRINTER_ATTRIBUTES, uriName: "printer-uri", uri: "ipp://localhost/printers/\(name)")
        defer { ippDelete(response) }
        let accepting = ippFindAttribute(response, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN).map { ippGetBoolean($0, 0) != 0 } ?? false
        return PrinterStatus(
            state: ipp_pstate_t(rawValue: UInt32(integer(response, "printer-state", IPP_TAG_ENUM) ?? 0)),
            acceptingJobs: accepting,
            reasons: strings(response, "printer-state-reasons", IPP_TAG_ZERO))
    }

    private func request(_ operation: ipp_op_t, uriName: String, uri: String) throws -> OpaquePointer {
        guard let http = httpConnect2(server, 631, nil, AF_UNSPEC, HTTP_ENCRYPTION_NEVER, 1, 10_000, nil) else {
            throw Failure(description: "cannot connect to cupsd at \(server)")
        }
        defer { httpClose(http) }
        let request = ippNewRequest(operation)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, uriName, nil, uri)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nil, "root")
        guard let response = cupsDoRequest(http, request, "/") else {
            throw Failure(description: "IPP request for \(uri) failed: \(String(cString: cupsLastErrorString()))")
        }
        return response
    }

    private func integer(_ response: OpaquePointer, _ name: String, _ tag: ipp_tag_t) -> Int32? {
        ippFindAttribute(response, name, tag).map { ippGetInteger($0, 0) }
    }

    private func strings(_ response: OpaquePointer, _ name: String, _ tag: ipp_tag_t) -> [String] {
        guard let attribute = ippFindAttribute(response, name, tag) else { return [] }
        return (0..<ippGetCount(attribute)).compactMap { index in ippGetString(attribute, index, nil).map { String(cString: $0) } }
    }

    /// What the backend wrote to stderr for job `id`, as cupsd logged it (the state message itself
    /// is cleared once a job completes).
    func backendLines(job id: Int) -> [String] {
        let marker = "[Job \(id)] "
        return errorLog.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: marker) else { return nil }
            let text = String(line[range.upperBound...])
            return text.hasPrefix("Set job-printer-state-message") ? nil : text
        }
    }

    /// The CUPS error log, for failure messages.
    var errorLog: String {
        (try? String(contentsOfFile: directory.file("log/error_log"), encoding: .utf8)) ?? ""
    }
}
