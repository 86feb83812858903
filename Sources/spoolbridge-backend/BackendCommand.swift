import CCups
import Glibc
import SpoolbridgeCore

/// One run of the backend: discovery, or one job from argv to an exit status.
enum BackendCommand {
    static let defaultSocketPath = "/run/spoolbridge/backend.sock"
    /// How long the daemon may take to commit a received job before the backend gives up (RETRY;
    /// the job's `job-uuid` makes the next attempt find the job if it did commit).
    static let acknowledgementTimeoutSeconds = 300
    static let sendTimeoutSeconds = 300
    static let chunkSize = 64 * 1024

    static func run(arguments: [String]) -> Int32 {
        if arguments.count == 1 {
            Diagnostics.emit("network spoolbridge \"Unknown\" \"spoolbridge (cloud print bridge)\"", fd: 1)
            return BackendExit.ok
        }
        guard arguments.count == 6 || arguments.count == 7 else {
            Diagnostics.emit("Usage: spoolbridge job-id user title copies options [file]")
            return BackendExit.failed
        }
        Signals.install()
        SideChannel.startResponder()

        let fileArgument = arguments.count == 7 ? arguments[6] : nil
        let invocation = CupsJobInvocation(
            jobID: arguments[1], user: arguments[2], title: arguments[3], copies: arguments[4],
            options: parseOptions(arguments[5]),
            hasFileArgument: fileArgument != nil,
            ppdManualCopies: fileArgument == nil && ppdDeclaresManualCopies(),
            deviceURI: environment("DEVICE_URI") ?? arguments[0],
            printer: environment("PRINTER") ?? "",
            contentType: environment("CONTENT_TYPE"),
            finalContentType: environment("FINAL_CONTENT_TYPE"))

        let input: JobInput
        do {
            input = try JobInput.open(fileArgument: fileArgument)
        } catch {
            Diagnostics.error("\(error.message); CUPS will retry the job")
            return BackendExit.retry
        }
        let header: HandoffHeader
        do {
            header = try invocation.header(declaredSize: input.size)
        } catch {
            let outcome = error.disposition == .cancel ? "the job is cancelled" : "the job is held and retried"
            Diagnostics.error("\(error.message); \(outcome)")
            return BackendExit.status(for: error.disposition)
        }
        if let uri = try? SpoolbridgeDeviceURI(parsing: invocation.deviceURI), !uri.ignoredParameters.isEmpty {
            Diagnostics.warning("device URI parameters ignored: \(uri.ignoredParameters.joined(separator: ", ")) (only wait= and release_to= are known)")
        }
        Diagnostics.debug("spoolbridge: job \(header.cupsJobID) \(header.jobUUID) for \(header.user) to port \(header.port): "
            + "title=\"\(header.title)\" copies=\(header.options.copies.map(String.init) ?? "-") "
            + "duplex=\(header.options.duplex.map { String($0.rawValue) } ?? "-") grayscale=\(header.options.grayscale.map { String($0) } ?? "-") "
            + "page=\(header.options.pageSize ?? "-") orientation=\(header.options.orientation.map { String($0.rawValue) } ?? "-") "
            + "format=\(header.contentType ?? "-") size=\(header.declaredSize.map { String($0) } ?? "stream")")

        let socketPath = environment("SPOOLBRIDGE_SOCKET") ?? defaultSocketPath
        return Handoff(header: header, input: input, socketPath: socketPath).run()
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// argv[5] through libcups, so quoting and `{}` values are read exactly as CUPS wrote them.
    static func parseOptions(_ text: String) -> CupsJobOptions {
        var parsed: UnsafeMutablePointer<cups_option_t>?
        let count = cupsParseOptions(text, 0, &parsed)
        defer { cupsFreeOptions(count, parsed) }
        var pairs: [(name: String, value: String)] = []
        for index in 0..<Int(max(count, 0)) {
            guard let option = parsed?[index], let name = option.name else { continue }
            pairs.append((name: String(cString: name), value: option.value.map { String(cString: $0) } ?? ""))
        }
        return CupsJobOptions(pairs)
    }

    /// Whether the queue's PPD (`PPD` in the environment) says the filters make the copies.
    static func ppdDeclaresManualCopies() -> Bool {
        guard let path = environment("PPD") else { return false }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while contents.count < 16 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            contents += chunk[..<count]
        }
        return PPDManualCopies.declared(in: contents)
    }
}
