import Logging
import Outbox
import SpoolbridgeCore

/// `[[records]]` folders: a settled file is read as JSON Lines and its records queued at once
/// (records are small: no spool space is reserved, no payload moved).
extension HotFolderEngine {
    func takeRecordsFile(_ path: String, settings: HotFolderSettings) {
        var metadata: Logger.Metadata = ["file": "\(path)", "folder": "\(settings.path)"]
        let outcome: RecordsFileOutcome
        do {
            outcome = try outbox.takeRecordsFile(at: path, failedDirectory: settings.failedDirectory)
        } catch {
            // Left in place: the next event for it or the next start tries again.
            logger.error("cannot take records file: \(error.message)", metadata: metadata)
            return
        }
        switch outcome {
        case .vanished:
            logger.debug("records file went away before it could be read", metadata: metadata)
        case .rejectedWhole(let placement, let reason):
            metadata["failed"] = "\(placement.file)"
            logger.warning("refused records file: \(reason); moved to \(placement.file)\(placement.note.map { ", the reason is in \($0)" } ?? "")",
                           metadata: metadata)
        case .taken(let jobs, let duplicates, let rejected, let rejectedLines, let note):
            for _ in jobs { IngestMetrics.ingested(source: "records", port: "records") }
            metadata["records"] = "\(jobs.count)"
            if duplicates > 0 { metadata["already-queued"] = "\(duplicates)" }
            logger.info("took records file", metadata: metadata)
            if rejected > 0 {
                metadata["rejected"] = "\(rejected)"
                logger.warning("\(rejected) line(s) of a records file refused; they are in \(rejectedLines ?? "?"), the reasons in \(note ?? "?")",
                               metadata: metadata)
            }
        }
    }
}
