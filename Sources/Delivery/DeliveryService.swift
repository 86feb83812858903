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
            var iterator = events.makeAsyncIterator()
            sink.yield(.newWork)  // jobs may be due already (recovered, or queued before a restart)

            // Graceful shutdown ends the event stream, and with it the loop.
            await withGracefulShutdownHandler {
                while await iterator.next() != nil {
                    // Everything that finished meanwhile goes into the same transaction.
                    let finished = finishedUploads.takeAll()
                    inFlight -= finished.count
                    await record(finished, health: health)

                    let slots = health.isHealthy ? concurrency - inFlight : (inFlight == 0 ? 1 : 0)
                    let jobs = await claim(limit: slots)
                    for job in jobs {
                        inFlight += 1
                        group.addTask {
                            let outcome = await uploader.deliver(job)
                            finishedUploads.append(outcome)
                            sink.yield(.finished)
                        }
                    }
                    if inFlight == 0 { await timer.arm(at: nextDueTime()) }
                }
            } onGracefulShutdown: {
                sink.finish()
            }
            // In-flight uploads are cancelled; their jobs stay `uploading` and recovery queues
            // them at the next start (the documented at-most-one-duplicate window).
            timer.disarm()
            group.cancelAll()
        }
    }

    private func claim(limit: Int) async -> [Job] {
        guard limit > 0 else { return [] }
        do {
            return try await outbox.perform { try $0.claimDueJobs(limit: limit) }
        } catch {
            logger.error("cannot take jobs from the outbox", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func nextDueTime() async -> Timestamp? {
        try? await outbox.perform { try $0.nextDueTime() }
    }

    private func record(_ outcomes: [DeliveryOutcome], health: CloudHealth) async {
        guard !outcomes.isEmpty else { return }
        for outcome in outcomes { health.observe(outcome) }
        do {
            let jobs = try await outbox.perform { try $0.complete(outcomes) }
            for job in jobs { log(job) }
        } catch {
            // The rows stay `uploading`; recovery at the next start queues them again.
            logger.error("cannot record upload results in the outbox", metadata: ["error": "\(error)"])
        }
    }

    private func log(_ job: Job) {
        var metadata: Logger.Metadata = ["job-id": "\(job.id)", "title": "\(job.request.title)", "user": "\(job.request.username)"]
        switch job.state {
        case .delivered:
            metadata["document-uuid"] = "\(job.documentUUID ?? "")"
            logger.info("delivered", metadata: metadata)
        case .failed:
            metadata["error"] = "\(job.lastError?.description ?? "")"
            logger.error("failed; the file is in the failed folder with the reason beside it", metadata: metadata)
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
