import Logging
import Outbox
import SpoolbridgeCore

/// Turns the state machine's notices into log lines: one per job that changed state, one per
/// change of the cloud's or the outbox's health (never one per retry).
struct DeliveryLog: Sendable {
    let logger: Logger
    var observer: (@Sendable (DeliveryStateMachine.Notice, Timestamp) -> Void)? = nil
    var now: @Sendable () -> Timestamp = { Timestamp(millisecondsSince1970: 0) }
    let metrics = DeliveryMetrics()

    func uploadFinished(_ job: Job, outcome: DeliveryOutcome, duration: Duration) {
        metrics.uploadFinished(job, outcome: outcome, duration: duration)
    }

    func report(_ notice: DeliveryStateMachine.Notice) {
        metrics.report(notice)
        observer?(notice, now())
        switch notice {
        case .jobUpdated(let job, let placement):
            jobUpdated(job, placement: placement)
        case .outcomeSkipped(let skipped):
            logger.warning("a delivery result no longer applies and was not recorded; the other results were",
                           metadata: [LogField.jobID: "\(skipped.jobID)", "reason": "\(skipped.reason)"])
        case .cloudUnavailable(let failure):
            var metadata: Logger.Metadata = ["error": "\(failure)", LogField.messageID: "\(LogMessageID.cloudUnreachable)"]
            if let status = failure.httpStatus { metadata[LogField.httpStatus] = "\(status)" }
            logger.error("the cloud is unavailable; holding deliveries and probing it until it answers", metadata: metadata)
        case .cloudAvailable(let seconds):
            logger.notice("the cloud answers again; resuming delivery", metadata: [
                "unavailable-seconds": "\(Int(seconds.rounded()))", LogField.messageID: "\(LogMessageID.cloudReachable)",
            ])
        case .authenticationRefused(let failure):
            var metadata: Logger.Metadata = ["error": "\(failure)", LogField.messageID: "\(LogMessageID.deviceTokenInvalid)"]
            if let status = failure.httpStatus { metadata[LogField.httpStatus] = "\(status)" }
            metadata["hold-reason"] = "\(DeliveryStateMachine.HoldReason.authentication)"
            logger.error(
                "the cloud refused the device token; holding deliveries (every job stays queued) until it accepts one; run `spoolbridge device status`",
                metadata: metadata)
        case .authenticationAccepted(let seconds):
            logger.notice("the cloud accepts the device token again; resuming delivery",
                          metadata: ["refused-seconds": "\(Int(seconds.rounded()))"])
        case .commitFailing(let reason, let retry):
            logger.error("cannot record delivery results in the outbox; keeping them and trying again",
                         metadata: ["error": "\(reason)", "retry-in-seconds": "\(String(format: retry))"])
        case .commitRecovered(let attempts):
            logger.notice("delivery results recorded again", metadata: ["failed-attempts": "\(attempts)"])
        }
    }

    func acceptedWithWarning(_ job: Job, _ warning: String) {
        logger.warning("the cloud accepted the document but its answer was unexpected; recorded as delivered",
                       metadata: Self.fields(of: job).merging(["title": "\(job.request.title)", "warning": "\(warning)"]) { $1 })
    }

    private func jobUpdated(_ job: Job, placement: FailedPlacement?) {
        var metadata = Self.fields(of: job)
        metadata["title"] = "\(job.request.title)"
        metadata["user"] = "\(job.request.username)"
        if let status = job.lastError?.httpStatus { metadata[LogField.httpStatus] = "\(status)" }
        switch job.state {
        case .delivered:
            metadata[LogField.documentUUID] = "\(job.documentUUID ?? "unknown")"
            metadata[LogField.httpStatus] = nil
            logger.info("delivered", metadata: metadata)
        case .failed:
            metadata["error"] = "\(job.lastError?.description ?? "")"
            metadata[LogField.messageID] = "\(LogMessageID.jobFailed)"
            guard job.kind == .upload else {
                logger.error("failed; `spoolbridge jobs --state failed` shows the reason", metadata: metadata)
                return
            }
            switch (placement?.file, placement?.note) {
            case (let file?, let note?):
                metadata["file"] = "\(file)"
                metadata["note"] = "\(note)"
                logger.error("failed; the file is in the failed folder with the reason beside it", metadata: metadata)
            case (let file?, nil):
                metadata["file"] = "\(file)"
                logger.error(
                    "failed; the file is in the failed folder, but its note could not be written; `spoolbridge jobs --state failed` shows the reason",
                    metadata: metadata)
            case (nil, _):
                logger.error(
                    "failed; the file could not be moved to the failed folder and stays in the spool (the next start tries again); `spoolbridge jobs --state failed` shows the reason",
                    metadata: metadata)
            }
        case .queued:
            metadata["error"] = "\(job.lastError?.description ?? "")"
            metadata["attempt"] = "\(job.attempts)"
            // One line when a job starts failing, not one per retry; an outage is logged once for all jobs.
            if job.attempts == 1 && job.nextAttemptAt != job.updatedAt {
                logger.warning("upload failed; will retry with backoff", metadata: metadata)
            } else {
                logger.debug("upload will be retried", metadata: metadata)
            }
        default:
            break
        }
    }
}

extension DeliveryLog {
    /// The fields every line about one job carries (Docs/operations.md, "Journal fields").
    static func fields(of job: Job) -> Logger.Metadata {
        var fields: Logger.Metadata = [LogField.jobID: "\(job.id)", LogField.port: "\(job.request.portname)"]
        if case .cups(let origin) = job.source { fields[LogField.cupsJobUUID] = "\(origin.jobUUID)" }
        if job.kind != .upload { fields["kind"] = "\(job.kind.rawValue)" }
        return fields
    }
}

private extension String {
    init(format seconds: Double) {
        self = String(Double(Int(seconds * 100)) / 100)
    }
}
