import CloudAPI
import Foundation
import Outbox
import SpoolbridgeCore

/// One upload attempt of one job, reduced to an outcome the outbox records.
struct Uploader: Sendable {
    let client: CloudClient
    let outbox: Outbox

    func deliver(_ job: Job) async -> DeliveryOutcome {
        let path = outbox.payloadPath(of: job)
        // Checked before any byte is sent: the cloud would refuse it anyway, after a long upload.
        if job.payloadSize > outbox.maxDocumentBytes {
            return .rejected(job.id, DeliveryFailure(
                kind: .permanent,
                message: "\(job.request.title) is \(job.payloadSize >> 20) MB, over spool.max_document_mb = \(outbox.maxDocumentBytes >> 20)"))
        }
        guard FileManager.default.fileExists(atPath: path) else {
            return .rejected(job.id, DeliveryFailure(
                kind: .permanent, message: "the spooled copy \(path) is missing; the document must be submitted again"))
        }
        do {
            let receipt = try await client.uploadDocument(job.request, filePath: path, fileName: job.request.title)
            return .delivered(job.id, documentUUID: receipt.documentUUID ?? "")
        } catch {
            return .failed(job.id, error)
        }
    }
}
