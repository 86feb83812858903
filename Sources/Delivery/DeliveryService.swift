import CloudAPI
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// Takes due jobs from the outbox and uploads them, at most `concurrency` at once.
///
/// One loop owns all decisions; uploads run as child tasks and report back through the same
/// event stream as new-work signals and the next-due timer, so the loop sleeps until something
/// happens (no polling). Finished uploads that arrive together are recorded in one transaction.
public struct DeliveryService: Service {
    let outbox: Outbox
    let uploader: Uploader
    let concurrency: Int
    let logger: Logger

    public init(outbox: Outbox, client: CloudClient, concurrency: Int, logger: Logger) {
        self.outbox = outbox
        self.uploader = Uploader(client: client, outbox: outbox)
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    enum Event: Sendable {
        case newWork
        case timer
        case finished
    }

    /// Jobs claimed ahead of free upload slots, so one transaction serves many uploads.
    private var prefetch: Int { min(64, concurrency * 4) }

    public func run() async throws {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let health = CloudHealth(logger: logger)
        let finishedUploads = OutcomeBox()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in outbox.newWork.signals { sink.yield(.newWork) }
            }
            let timer = DueTimer(sink: sink)
            var inFlight = 0
            // Claimed (`uploading` in the outbox) but not started yet: never sent, so a crash
            // merely queues them again.
            var ready: [Job] = []
            var iterator = events.makeAsyncIterator()
            sink.yield(.newWork)  // jobs may be due already (recovered, or queued before a restart)

            func startReady() {
                let slots = health.isHealthy ? concurrency : 1  // one probe while the cloud is down
                while inFlight < slots, !ready.isEmpty {
                    let job = ready.removeFirst()
                    inFlight += 1
                    group.addTask {
                        finishedUploads.append(await uploader.deliver(job))
                        sink.yield(.finished)
                    }
                }
            }

            // Graceful shutdown ends the event stream, and with it the loop.
            await withGracefulShutdownHandler {
                while await iterator.next() != nil {
                    let finished = finishedUploads.takeAll()
                    for outcome in finished { health.observe(outcome) }
                    let wanted = health.isHealthy
                        ? (ready.count <= prefetch / 2 ? prefetch - ready.count : 0)
                        : (inFlight - finished.count + ready.count == 0 ? 1 : 0)
                    ready += await completeAndClaim(finished, claimLimit: wanted)
                    // A slot frees only once its result is committed: then a crash can re-send at
                    // most `concurrency` uploads (those in flight or answered but not yet recorded).
                    inFlight -= finished.count
                    startReady()
                    if inFlight == 0 && ready.isEmpty { await timer.arm(at: nextDueTime()) }
                }
            } onGracefulShutdown: {
                sink.finish()
            }
            // In-flight uploads are cancelled; their jobs stay `uploading` and recovery queues
            // them at the next start (the documented duplicate window: what was in flight).
            timer.disarm()
            group.cancelAll()
        }
    }

    /// Records the finished uploads and claims more due jobs, in one transaction.
    private func completeAndClaim(_ outcomes: [DeliveryOutcome], claimLimit: Int) async -> [Job] {
        guard !outcomes.isEmpty || claimLimit > 0 else { return [] }
        do {
            let (completed, claimed, placements) = try await outbox.perform { outbox in
                let (completed, claimed) = try outbox.completeAndClaim(outcomes, claimLimit: claimLimit)
                // Only failures are looked up (rare): the log says where the file and its reason really are.
                var placements: [JobID: FailedPlacement] = [:]
                for job in completed where job.state == .failed {
                    placements[job.id] = try? outbox.failedPlacement(of: job.id)
                }
                return (completed, claimed, placements)
            }
            for job in completed { log(job, placement: placements[job.id]) }
            return claimed
        } catch {
            // The rows stay `uploading`; recovery at the next start queues them again.
            logger.error("cannot record upload results or take new jobs from the outbox", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func nextDueTime() async -> Timestamp? {
        try? await outbox.perform { try $0.nextDueTime() }
    }

    private func log(_ job: Job, placement: FailedPlacement?) {
        var metadata: Logger.Metadata = ["job-id": "\(job.id)", "title": "\(job.request.title)", "user": "\(job.request.username)"]
        switch job.state {
        case .delivered:
            metadata["document-uuid"] = "\(job.documentUUID ?? "")"
            logger.info("delivered", metadata: metadata)
        case .failed:
            metadata["error"] = "\(job.lastError?.description ?? "")"
            switch (placement?.file, placement?.note) {
            case (let file?, let note?):
                metadata["file"] = "\(file)"
                logger.error("failed; the file is in the failed folder with the reason beside it in \(note)", metadata: metadata)
            case (let file?, nil):
                metadata["file"] = "\(file)"
                logger.error("failed; the file is in the failed folder, but its note could not be written; `spoolbridge jobs --state failed` shows the reason", metadata: metadata)
            case (nil, _):
                logger.error("failed; the file could not be moved to the failed folder and stays in the spool (the next start tries again); `spoolbridge jobs --state failed` shows the reason", metadata: metadata)
            }
        case .queued:
            metadata["error"] = "\(job.lastError?.description ?? "")"
            metadata["attempt"] = "\(job.attempts)"
            // One line when a job starts failing, not one per retry.
            if job.attempts == 1 {
                logger.warning("upload failed; will retry with backoff", metadata: metadata)
            } else {
                logger.debug("upload failed again; will retry", metadata: metadata)
            }
        default:
            break
        }
    }
}
