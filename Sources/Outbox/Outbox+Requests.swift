import Foundation
import GRDB
import SpoolbridgeCore

/// A record, release or card swipe to queue: no payload file, just the kind's payload shape.
public struct RequestSubmission: Sendable, Hashable {
    public var task: JobTask
    public var source: JobSource

    public init(task: JobTask, source: JobSource) {
        self.task = task
        self.source = source
    }

    /// How `jobs` shows it: the user (if any), the target and a one-line summary in the columns an
    /// upload uses for user, port and title.
    var displayRequest: DocumentRequest {
        switch task {
        case .upload:
            return DocumentRequest(username: "", portname: "", title: "upload")
        case .record(let record):
            return DocumentRequest(username: record.username ?? "", portname: record.serialNumber ?? record.address ?? "",
                                   title: record.summary)
        case .release(let release):
            return DocumentRequest(username: "", portname: release.printer, title: release.summary)
        case .card(let swipe):
            // The card id is a credential of sorts: `jobs` shows the reader, not the card.
            return DocumentRequest(username: "", portname: swipe.reader, title: swipe.summary)
        }
    }
}

/// What `releaseAfterUpload` did.
public enum ReleaseAfterUpload: Sendable, Hashable {
    /// The upload was delivered: this release job is queued.
    case queued(JobID)
    /// The upload is still on its way: its release is queued when it is delivered.
    case afterDelivery
}

extension Outbox {
    /// Queues records, releases and card swipes in one transaction (one fsync for a whole records
    /// file). A submission whose source key was queued before returns `.duplicate` with the first
    /// job's id: a records file read again after a crash queues nothing twice.
    ///
    /// Safe beside a running daemon and without one: it only inserts `queued` rows, which is all
    /// the CLI does when the daemon is down (it never runs recovery; see Docs/records-and-release.md).
    public func enqueue(_ submissions: [RequestSubmission]) throws(OutboxError) -> [EnqueueResult] {
        guard !submissions.isEmpty else { return [] }
        let now = clock()
        let results: [EnqueueResult] = try write { db in
            try submissions.map { submission in try Self.insert(submission, db: db, now: now) }
        }
        if results.contains(where: { if case .created = $0 { true } else { false } }) { newWork.signal() }
        return results
    }

    static func insert(_ submission: RequestSubmission, db: Database, now: Timestamp, failure: DeliveryFailure? = nil)
        throws -> EnqueueResult
    {
        if let key = submission.source.idempotencyKey,
           let id = try Int64.fetchOne(db, JobRecord.select(JobRecord.Columns.id).filter(JobRecord.Columns.sourceKey == key)) {
            return .duplicate(JobID(id))
        }
        // No payload file: the name only has to be unique, and can never be one `newPayloadName` makes.
        let name = submission.task.kind.rawValue + "-" + String(UInt64.random(in: .min ... .max), radix: 16)
        var record = JobRecord(
            newJobWith: submission.displayRequest, source: submission.source, state: .queued,
            payloadName: name, payloadSize: 0, now: now, task: submission.task)
        if let failure {
            record.state = JobState.failed.rawValue
            record.lastError = failure
            record.nextAttemptAt = nil
        }
        try record.insertRow(db)
        return .created(JobID(record.id!))
    }

    /// A push queue's follow-up, in the transaction that records its upload delivered: the release is
    /// durable exactly when the delivery is. Without a document uuid (the cloud's answer could not be
    /// read) there is nothing to release: the release job is recorded failed, with the reason.
    func insertFollowUp(after delivered: Job, db: Database, now: Timestamp) throws -> Bool {
        guard delivered.state == .delivered, case .upload(let followUp) = delivered.task,
              let printer = followUp.releaseTo else { return false }
        let source = JobSource.submitted(.init(
            channel: .pushQueue, detail: "after upload job \(delivered.id)", key: "after-\(delivered.id)"))
        guard let uuid = delivered.documentUUID else {
            let release = DocumentRelease(documentUUID: "unknown", printer: printer, afterJob: delivered.id)
            let failure = DeliveryFailure(
                kind: .permanent,
                message: "the cloud accepted upload job \(delivered.id) but its answer named no document uuid; release it by hand")
            _ = try Self.insert(RequestSubmission(task: .release(release), source: source), db: db, now: now, failure: failure)
            return false
        }
        guard let release = followUp.release(of: uuid, after: delivered.id) else { return false }
        _ = try Self.insert(RequestSubmission(task: .release(release), source: source), db: db, now: now)
        return true
    }

    /// `release --job ID`: the release of upload job `id`'s document, as `followUp` describes it. A
    /// delivered upload's release is queued now; one still on its way gets `followUp` attached and
    /// its release is queued in the transaction that records it delivered. Both happen in one write
    /// transaction, so the daemon's delivery commit cannot slip in between the check and the change.
    public func releaseAfterUpload(_ id: JobID, _ followUp: UploadFollowUp) throws(OutboxError) -> ReleaseAfterUpload {
        let now = clock()
        let outcome: ReleaseAfterUpload = try write { db in
            guard var record = try JobRecord.fetchOne(db, key: id.rawValue) else {
                throw OutboxError(.notFound, "no job \(id) in the outbox (see `spoolbridge jobs`)")
            }
            let job = record.job
            guard case .upload(let existing) = job.task else {
                throw OutboxError(.invalidState, "job \(id) is a \(job.kind.rawValue), not an upload; --job takes an upload's id")
            }
            switch job.state {
            case .delivered:
                guard let uuid = job.documentUUID, let release = followUp.release(of: uuid, after: id) else {
                    throw OutboxError(.invalidState,
                        "job \(id) was delivered but the cloud's answer named no document uuid; release it by --document")
                }
                let source = JobSource.submitted(.init(channel: .cli, detail: "release of upload job \(id)"))
                guard case .created(let releaseID) = try Self.insert(
                    RequestSubmission(task: .release(release), source: source), db: db, now: now)
                else { throw OutboxError(.invalidState, "the release of job \(id) could not be queued") }
                return .queued(releaseID)
            case .failed, .cancelled:
                throw OutboxError(.invalidState,
                    "job \(id) is \(job.state.rawValue): its document never reached the cloud; `spoolbridge retry \(id)` first")
            case .receiving, .queued, .uploading:
                guard existing.releaseTo == nil else {
                    throw OutboxError(.invalidState, "job \(id) is released to \(existing.releaseTo!) once delivered already")
                }
                record.task = .upload(followUp)
                // A new stamp, later than the last even within the same millisecond: a daemon that
                // keeps this row in memory (`KnownRows`) then reads it again.
                record.updatedAt = max(now.millisecondsSince1970, record.updatedAt + 1)
                try record.update(db, columns: ["task", "updatedAt"])
                return .afterDelivery
            }
        }
        if case .queued = outcome { newWork.signal() }
        return outcome
    }

    /// Jobs per kind and state, for `status` (index job_kind_state).
    public func jobCountsByKind() throws(OutboxError) -> [JobKind: [JobState: Int]] {
        try read { db in
            var counts: [JobKind: [JobState: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, state, COUNT(*) AS n FROM job GROUP BY kind, state") {
                guard let kind = JobKind(rawValue: row["kind"]), let state = JobState(rawValue: row["state"]) else { continue }
                counts[kind, default: [:]][state] = row["n"]
            }
            return counts
        }
    }
}
