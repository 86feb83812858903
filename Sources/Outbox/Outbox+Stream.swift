import Foundation
import GRDB
import SpoolbridgeCore

extension Outbox {
    /// A staging file for a document that arrives as a stream.
    public func makePayloadWriter(title: String = "") throws(OutboxError) -> PayloadWriter {
        try PayloadWriter(directory: layout.incoming, payloadName: Self.newPayloadName(for: title), limit: maxDocumentBytes,
                          hasFreeSpace: { [self] bytes in hasFreeSpace(for: bytes) })
    }

    /// Makes a received document a job: flush the payload, rename it into `payloads/`, flush that
    /// directory, then commit the row. Only after this returns may the source be told "accepted".
    /// The same CUPS job-uuid handed over again returns `.duplicate` with the first job's id.
    public func enqueue(_ submission: JobSubmission, payload: PayloadWriter) throws(OutboxError) -> EnqueueResult {
        if let existing = try existingJob(for: submission.source) {
            payload.discard()
            return .duplicate(existing)
        }
        try payload.finish()
        let destination = layout.payload(payload.payloadName)
        guard rename(payload.path, destination) == 0 else {
            let error = errno
            payload.discard()
            throw .posix(error, "move into the spool", payload.path)
        }
        do {
            try Durability.fsyncDirectory(layout.payloads)
            var record = JobRecord(
                newJobWith: submission.request, source: submission.source, state: .queued,
                payloadName: payload.payloadName, payloadSize: payload.byteCount, now: clock(), task: submission.task)
            return try write { db -> EnqueueResult in
                // Checked again inside the transaction: two handovers of one job may race.
                if let key = record.sourceKey,
                   let id = try Int64.fetchOne(db, JobRecord.select(JobRecord.Columns.id).filter(JobRecord.Columns.sourceKey == key)) {
                    unlink(destination)
                    return .duplicate(JobID(id))
                }
                try record.insertRow(db)
                return .created(JobID(record.id!))
            }.signalling(newWork)
        } catch {
            unlink(destination)
            throw error
        }
    }

    private func existingJob(for source: JobSource) throws(OutboxError) -> JobID? {
        guard case .cups(let origin) = source else { return nil }
        return try read { db in
            try Int64.fetchOne(db, JobRecord.select(JobRecord.Columns.id).filter(JobRecord.Columns.sourceKey == "cups:" + origin.jobUUID))
                .map(JobID.init(rawValue:))
        }
    }
}

extension EnqueueResult {
    fileprivate func signalling(_ signal: WorkSignal) -> EnqueueResult {
        if case .created = self { signal.signal() }
        return self
    }
}
