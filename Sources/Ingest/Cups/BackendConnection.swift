#if canImport(Glibc)
import Glibc
#endif
import Logging
import Outbox
import SpoolbridgeCore

/// One backend's handoff, on its own thread: check who is calling, read the header, stream the
/// framed body into a staging file, enqueue it, and only then answer `OK`. A connection that ends
/// before the end-of-document frame leaves nothing behind.
struct BackendConnection {
    let fd: Int32
    let outbox: Outbox
    let userMapping: UserNameMapping
    let allowedUIDs: Set<uid_t>
    let idleTimeoutSeconds: Int
    /// Readable once the listener stops: a waiting connection answers `PENDING` at once.
    let stopping: WakePipe
    let logger: Logger

    private static let chunkSize = 64 * 1024

    func serve() {
        guard let uid = UnixSocket.peerUID(fd), allowedUIDs.contains(uid) else {
            let who = UnixSocket.peerUID(fd).map { "uid \($0)" } ?? "an unknown process"
            logger.warning("refused a CUPS backend connection from \(who): only root, lp and the daemon's user may hand over jobs")
            reply(.error(.forbidden, "\(who) may not hand jobs to spoolbridge (allowed: root, lp, the daemon's user)"))
            return
        }
        // A backend sends its header at once; after that, filters may take a while to produce data.
        UnixSocket.setTimeout(fd, option: SO_RCVTIMEO, seconds: 30)
        UnixSocket.setTimeout(fd, option: SO_SNDTIMEO, seconds: 30)

        var received = [UInt8]()
        guard let header = readHeader(into: &received) else { return }
        var log = logger
        log[metadataKey: "cups_job"] = "\(header.cupsJobID)"
        log[metadataKey: "job_uuid"] = "\(header.jobUUID)"
        UnixSocket.setTimeout(fd, option: SO_RCVTIMEO, seconds: idleTimeoutSeconds)

        if isStopping {
            reply(.error(.shuttingDown, "spoolbridge is stopping"))
            return
        }
        guard outbox.hasFreeSpace(for: header.declaredSize ?? 0) else {
            log.warning("refused CUPS job: the spool \(outbox.layout.directory) is below its free-space floor (spool.min_free_mb)")
            reply(.error(.spoolFull, "the spool is low on disk space (spool.min_free_mb); free space in \(outbox.layout.directory)"))
            return
        }
        if let size = header.declaredSize, size > outbox.maxDocumentBytes {
            refuseTooLarge(size: size, log: log)
            return
        }
        let payload: PayloadWriter
        do {
            payload = try outbox.makePayloadWriter(title: header.title)
        } catch {
            log.error("cannot stage CUPS job: \(error.message)")
            reply(.error(error.code == .diskFull ? .spoolFull : .internalError, error.message))
            return
        }
        guard receiveBody(into: payload, leftover: received, log: log) else { return }
        guard payload.byteCount > 0 else {
            payload.discard()
            log.warning("refused CUPS job: it has no data")
            reply(.error(.emptyDocument, "the job has no data"))
            return
        }
        commit(header, payload: payload, log: log)
    }

    // MARK: Steps

    private func readHeader(into received: inout [UInt8]) -> HandoffHeader? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = received.firstIndex(of: 0x0A) {
                let line = Array(received[..<newline])
                received.removeSubrange(...newline)
                do {
                    return try HandoffHeader(decoding: line)
                } catch {
                    logger.warning("refused a CUPS backend connection: \(error.description)")
                    reply(.error(error.code, error.message))
                    return nil
                }
            }
            guard received.count <= HandoffHeader.maxLineLength else {
                logger.warning("refused a CUPS backend connection: header longer than \(HandoffHeader.maxLineLength) bytes")
                reply(.error(.badHeader, "header longer than \(HandoffHeader.maxLineLength) bytes"))
                return nil
            }
            let count = chunk.withUnsafeMutableBytes { UnixSocket.receive(fd, into: $0) }
            guard count > 0 else {
                if count < 0 { logger.debug("CUPS backend connection failed before its header: \(UnixSocket.errorText(Int32(-count)))") }
                return nil
            }
            received += chunk[..<count]
        }
    }

    /// True once the whole document is in `payload`; false after answering or logging why not
    /// (the payload is then discarded).
    private func receiveBody(into payload: PayloadWriter, leftover: [UInt8], log: Logger) -> Bool {
        var decoder = HandoffBodyDecoder()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 8)
        defer { buffer.deallocate() }
        var pending = leftover
        while !decoder.isComplete {
            do {
                if !pending.isEmpty {
                    _ = try pending.withUnsafeBytes { bytes in try decoder.consume(bytes) { try payload.write($0) } }
                    pending = []
                    continue
                }
                let count = UnixSocket.receive(fd, into: buffer)
                if count == 0 {
                    payload.discard()
                    log.info("CUPS job aborted by the backend after \(decoder.documentBytes) bytes (cancelled in CUPS?); nothing was queued")
                    return false
                }
                if count < 0 {
                    payload.discard()
                    let code = Int32(-count)
                    let why = code == EAGAIN ? "no data for \(idleTimeoutSeconds) s" : UnixSocket.errorText(code)
                    log.warning("CUPS job transfer failed after \(decoder.documentBytes) bytes: \(why); nothing was queued")
                    reply(.error(.internalError, "transfer failed: \(why)"))
                    return false
                }
                _ = try decoder.consume(UnsafeRawBufferPointer(rebasing: buffer[..<count])) { try payload.write($0) }
            } catch let error as OutboxError {
                payload.discard()
                if error.code == .tooLarge {
                    refuseTooLarge(size: nil, log: log)
                } else {
                    log.error("cannot store CUPS job: \(error.message)")
                    reply(.error(error.code == .diskFull ? .spoolFull : .internalError, error.message))
                }
                return false
            } catch {
                payload.discard()
                log.warning("refused CUPS job: \(error)")
                reply(.error(.badBody, "\(error)"))
                return false
            }
        }
        return true
    }

    private func commit(_ header: HandoffHeader, payload: PayloadWriter, log: Logger) {
        let request = DocumentRequest(
            username: userMapping.map(header.user), portname: header.port, title: header.title, options: header.options)
        let source = JobSource.cups(.init(jobUUID: header.jobUUID, cupsJobID: header.cupsJobID, printer: header.printer))
        let result: EnqueueResult
        do {
            // A push queue (device URI `release_to`): the release is queued with the upload's delivery.
            let task = header.releaseTo.map { JobTask.upload(UploadFollowUp(releaseTo: $0)) } ?? .upload
            result = try outbox.enqueue(JobSubmission(request: request, source: source, task: task), payload: payload)
        } catch {
            payload.discard()
            log.error("cannot queue CUPS job: \(error.message)")
            reply(.error(error.code == .diskFull ? .spoolFull : .internalError, error.message))
            return
        }
        switch result {
        case .created(let id):
            IngestMetrics.ingested(source: "cups", port: request.portname)
            log.info("queued CUPS job", metadata: [
                LogField.jobID: "\(id)", LogField.cupsJobUUID: "\(header.jobUUID)", LogField.port: "\(request.portname)",
                "cups-job-id": "\(header.cupsJobID)", "printer": "\(header.printer)", "bytes": "\(payload.byteCount)",
                "user": "\(request.username)",
            ])
        case .duplicate(let id):
            log.info("CUPS job handed over again; it is already queued", metadata: [
                LogField.jobID: "\(id)", LogField.cupsJobUUID: "\(header.jobUUID)", "cups-job-id": "\(header.cupsJobID)",
            ])
        }
        guard reply(.ok(result.jobID)) else { return }
        if header.waitSeconds > 0 {
            awaitUpload(of: result.jobID, seconds: header.waitSeconds, log: log)
        }
    }

    /// `?wait=`: report the upload's outcome, or `PENDING` when the wait runs out or the daemon stops.
    /// Sleeps in poll(2) until the job changes (the outbox's `JobWatch`), the listener stops, the
    /// backend goes away (cancelled in CUPS: nobody to tell) or the wait runs out.
    private func awaitUpload(of id: JobID, seconds: Int, log: Logger) {
        let watch: JobWatch
        do {
            watch = try outbox.watch(id)
        } catch {
            log.warning("cannot wait for the upload of job \(id): \(error.message)")
            reply(.pending(lastError: nil))
            return
        }
        defer { watch.cancel() }
        let deadline = Self.monotonicMilliseconds() + Int64(seconds) * 1000
        var lastError: String?
        while true {
            // Drained before the job is read: a change after the read leaves the watch readable.
            watch.drain()
            do {
                if let job = try outbox.job(id) {
                    lastError = job.lastError?.description
                    if let outcome = Self.finalReply(for: job) {
                        reply(outcome)
                        return
                    }
                }
            } catch {
                log.warning("cannot read job \(id) while waiting for its upload: \(error.message)")
            }
            let remaining = deadline - Self.monotonicMilliseconds()
            if remaining <= 0 || isStopping {
                reply(.pending(lastError: lastError))
                return
            }
            var waits = [
                pollfd(fd: fd, events: 0, revents: 0),  // POLLHUP and POLLERR are always reported
                pollfd(fd: watch.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopping.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&waits, nfds_t(waits.count), Int32(clamping: remaining))
            if ready < 0 && errno != EINTR {
                log.warning("cannot wait for the upload of job \(id): \(UnixSocket.errorText(errno))")
                reply(.pending(lastError: lastError))
                return
            }
            if waits[0].revents & Int16(POLLHUP | POLLERR) != 0 { return }
        }
    }

    /// The answer for a job that has finished; nil while it is still on its way.
    private static func finalReply(for job: Job) -> HandoffReply? {
        switch job.state {
        case .delivered: .delivered(documentUUID: job.documentUUID ?? "unknown")
        case .failed: .failed(job.lastError?.description ?? "the upload failed")
        case .cancelled: .failed("job \(job.id) was cancelled by an administrator")
        case .receiving, .queued, .uploading: nil
        }
    }

    private var isStopping: Bool {
        var waits = pollfd(fd: stopping.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&waits, 1, 0) > 0
    }

    private static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    private func refuseTooLarge(size: Int64?, log: Logger) {
        let limitMB = outbox.maxDocumentBytes >> 20
        let what = size.map { "the document (\(($0 + (1 << 20) - 1) >> 20) MB)" } ?? "the document"
        log.warning("refused CUPS job: \(what) is over the limit of \(limitMB) MB (spool.max_document_mb)")
        reply(.error(.tooLarge, "\(what) is over the limit of \(limitMB) MB (spool.max_document_mb)"))
    }

    /// Sends one line; an error answer also ends our side, so a backend still sending learns at once.
    @discardableResult
    private func reply(_ reply: HandoffReply) -> Bool {
        let sent = UnixSocket.sendAll(fd, Array((reply.line + "\n").utf8))
        if case .error = reply { _ = shutdown(fd, Int32(SHUT_WR)) }
        return sent
    }
}
