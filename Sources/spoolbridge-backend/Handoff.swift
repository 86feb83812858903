import Glibc
import SpoolbridgeCore

/// Sends one job to the daemon and turns its answer into the backend's exit status.
struct Handoff {
    let header: HandoffHeader
    let input: JobInput
    let socketPath: String

    func run() -> Int32 {
        let connection: DaemonConnection
        do {
            connection = try DaemonConnection.connect(path: socketPath, sendTimeoutSeconds: BackendCommand.sendTimeoutSeconds)
        } catch {
            Diagnostics.error("cannot reach the spoolbridge daemon at \(socketPath): \(error.message) (\(hint(for: error.code))); CUPS will retry the job")
            return BackendExit.retry
        }

        do {
            try connection.send(header.encodedLine())
            try streamBody(to: connection)
            connection.finishSending()
        } catch let failure as JobInput.Failure {
            // Closing without the end frame makes the daemon discard what it received.
            Diagnostics.error("\(failure.message); CUPS will retry the job")
            return BackendExit.retry
        } catch {
            // The daemon may have refused the job mid-transfer (too large, spool full) and closed:
            // its reason is waiting to be read.
            if case .line(let line)? = try? connection.readLine(timeoutSeconds: 2), let reply = HandoffReply(line: line) {
                return handle(reply, connection: connection)
            }
            let message = (error as? DaemonConnection.Failure)?.message ?? "\(error)"
            Diagnostics.error("the spoolbridge daemon closed the connection during the transfer (\(message)); CUPS will retry the job")
            return BackendExit.retry
        }

        switch readReply(connection, timeoutSeconds: BackendCommand.acknowledgementTimeoutSeconds) {
        case .success(let reply): return handle(reply, connection: connection)
        case .failure(let message):
            Diagnostics.error("no answer from the spoolbridge daemon: \(message); CUPS will retry the job")
            return BackendExit.retry
        }
    }

    private func streamBody(to connection: DaemonConnection) throws {
        // Each frame goes out in one send: its 4 length bytes sit in front of the data.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 + BackendCommand.chunkSize, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[4...]))
            let length = HandoffBody.frameHeader(length: count)
            buffer[0] = length.0
            buffer[1] = length.1
            buffer[2] = length.2
            buffer[3] = length.3
            try connection.send(UnsafeRawBufferPointer(rebasing: buffer[..<(4 + count)]))
            if count == 0 { return }
        }
    }

    private enum ReplyResult {
        case success(HandoffReply)
        case failure(String)
    }

    private func readReply(_ connection: DaemonConnection, timeoutSeconds: Int) -> ReplyResult {
        do {
            switch try connection.readLine(timeoutSeconds: timeoutSeconds) {
            case .line(let line):
                guard let reply = HandoffReply(line: line) else { return .failure("unexpected answer \"\(line.prefix(200))\"") }
                return .success(reply)
            case .closed: return .failure("the daemon closed the connection")
            case .timedOut: return .failure("no answer within \(timeoutSeconds) s")
            }
        } catch {
            return .failure(error.message)
        }
    }

    private func handle(_ reply: HandoffReply, connection: DaemonConnection) -> Int32 {
        switch reply {
        case .ok(let jobID):
            guard header.waitSeconds > 0 else {
                Diagnostics.info("queued for upload as job \(jobID)")
                return BackendExit.ok
            }
            Diagnostics.info("queued for upload as job \(jobID); waiting up to \(header.waitSeconds) s for the upload")
            return awaitUpload(jobID, connection: connection)
        case .error(let code, let reason):
            let outcome = code.disposition == .cancel ? "the job is cancelled" : "CUPS will retry the job"
            Diagnostics.error("spoolbridge refused the job (\(code)): \(reason); \(outcome)")
            return BackendExit.status(for: code.disposition)
        case .delivered, .failed, .pending:
            Diagnostics.error("the spoolbridge daemon answered out of order (\(reply.line)); CUPS will retry the job")
            return BackendExit.retry
        }
    }

    /// `?wait=`: the job is already durable; this only reports the cloud's verdict to `lpstat`.
    private func awaitUpload(_ jobID: JobID, connection: DaemonConnection) -> Int32 {
        switch readReply(connection, timeoutSeconds: header.waitSeconds + 30) {
        case .success(.delivered(let documentUUID)):
            Diagnostics.info("uploaded as \(documentUUID)")
            return BackendExit.ok
        case .success(.failed(let reason)):
            Diagnostics.error("upload of job \(jobID) failed: \(reason)")
            return BackendExit.cancel
        case .success(.pending(let lastError)):
            let detail = lastError.map { " (last error: \($0))" } ?? ""
            Diagnostics.info("queued for upload as job \(jobID); not uploaded within \(header.waitSeconds) s\(detail)")
            return BackendExit.ok
        case .success(let other):
            Diagnostics.info("queued for upload as job \(jobID); unexpected status \"\(other.line)\"")
            return BackendExit.ok
        case .failure(let message):
            Diagnostics.info("queued for upload as job \(jobID); upload status unknown (\(message))")
            return BackendExit.ok
        }
    }

    private func hint(for code: Int32) -> String {
        switch code {
        case ENOENT: "no socket there: is the spoolbridge daemon running, and is [cups] socket the same path?"
        case ECONNREFUSED: "the daemon is not running"
        case EACCES: "permission denied: the lp user must be able to traverse the socket's directory"
        default: "check that the daemon is running"
        }
    }
}
