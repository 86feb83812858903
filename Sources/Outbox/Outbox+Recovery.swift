import Foundation
import GRDB
import SpoolbridgeCore

/// What recovery found and did at start-up; the daemon logs it.
public struct RecoveryReport: Sendable, Hashable {
    /// Jobs that were uploading when the daemon stopped: queued again (the at-most-one-duplicate window).
    public var requeuedUploads = 0
    /// Hot-folder claims finished after a crash between commit and move.
    public var completedClaims = 0
    /// `receiving` rows whose file was gone from both places: dropped (nothing had been accepted).
    public var droppedClaims = 0
    /// Final jobs whose payload had not yet been archived, deleted or moved to the failed folder.
    public var finishedDisposals = 0
    /// Payload files with no job (a crash between rename and commit of a CUPS job): removed.
    public var removedOrphans = 0

    public var isEmpty: Bool { self == RecoveryReport() }
}

extension Outbox {
    /// Brings the spool back to a consistent state after any stop, clean or not. Run it before any
    /// source or delivery starts. Every step is idempotent, so a crash during recovery is harmless.
    public func recoverAfterCrash() throws(OutboxError) -> RecoveryReport {
        var report = RecoveryReport()
        let now = clock()
        try clearIncoming()

        let receiving = try read { db in
            try JobRecord.filter(JobRecord.Columns.state == JobState.receiving.rawValue).fetchAll(db)
        }
        for var record in receiving {
            let payload = layout.payload(record.payloadName)
            if !Durability.exists(payload), case .hotFolder(let origin) = record.source {
                _ = try? Durability.move(origin.originalPath, to: payload)
            }
            if Durability.exists(payload) {
                // A cross-file-system move may have stopped after the copy and before the unlink:
                // the copy is complete (it was renamed into place), so the original must go, or the
                // start-up scan would take it a second time.
                // On one file system the claim is a single rename, so a file at the original path is a
                // new document with the same name: it must stay.
                if case .hotFolder(let origin) = record.source,
                   Durability.isLeftoverOfCopy(origin.originalPath, copiedTo: payload, size: record.payloadSize) {
                    unlink(origin.originalPath)
                }
                try Durability.fsyncDirectory(layout.payloads)
                let transition = try Self.transition(.payloadStored, record.job, now, retryPolicy)
                try write { db in try record.save(transition.job, db) }
                report.completedClaims += 1
            } else {
                _ = try write { db in try record.delete(db) }
                report.droppedClaims += 1
            }
        }

        report.requeuedUploads = try write { db in
            let uploading = try JobRecord.filter(JobRecord.Columns.state == JobState.uploading.rawValue).fetchAll(db)
            for var record in uploading {
                let transition = try Self.transition(.crashRecovered, record.job, now, retryPolicy)
                try record.save(transition.job, db)
            }
            return uploading.count
        }

        // The payload directory is the to-do list: a file there belongs to a job still in flight,
        // or to a final job whose disposal did not finish, or to nobody.
        for name in Self.directoryEntries(layout.payloads) {
            if name.hasSuffix(".partial") {
                unlink(layout.payload(name))
                continue
            }
            let record = try read { db in
                try JobRecord.filter(JobRecord.Columns.payloadName == name).fetchOne(db)
            }
            guard let record else {
                unlink(layout.payload(name))
                report.removedOrphans += 1
                continue
            }
            let job = record.job
            switch job.state {
            case .delivered:
                disposePayload(of: job, .release)
                report.finishedDisposals += 1
            case .failed:
                disposePayload(of: job, .moveToFailed(reason: job.lastError?.description ?? "failed"))
                report.finishedDisposals += 1
            case .cancelled:
                disposePayload(of: job, .moveToFailed(reason: "cancelled by an administrator"))
                report.finishedDisposals += 1
            case .receiving, .queued, .uploading:
                break
            }
        }
        return report
    }

    private func clearIncoming() throws(OutboxError) {
        for name in Self.directoryEntries(layout.incoming) {
            unlink(layout.incoming + "/" + name)
        }
    }

    static func directoryEntries(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
