import CloudAPI
import Foundation
import Outbox
import SpoolbridgeCore

/// Sends one job to the cloud and reduces the answer to an outcome the outbox records.
struct Uploader: Sendable {
    let client: CloudClient
    let outbox: Outbox

    /// The outcome, and a warning when the cloud accepted the document but said something odd.
    func deliver(_ job: Job) async -> (DeliveryOutcome, warning: String?) {
        guard job.kind == .upload else { return (await RequestSender(client: client).send(job), nil) }
        let path = outbox.payloadPath(of: job)
        // Checked before any byte is sent: the cloud would refuse it anyway, after a long upload.
        if job.payloadSize > outbox.maxDocumentBytes {
            return (.rejected(job.id, DeliveryFailure(
                kind: .permanent,
                message: "\(job.request.title) is \(job.payloadSize >> 20) MB, over spool.max_document_mb = \(outbox.maxDocumentBytes >> 20)")), nil)
        }
        guard access(path, F_OK) == 0 else {
            return (.rejected(job.id, DeliveryFailure(
                kind: .permanent, message: "the spooled copy \(path) is missing; the document must be submitted again")), nil)
        }
        do {
            let receipt = try await client.uploadDocument(job.request, filePath: path, fileName: job.request.title)
            return (.delivered(job.id, documentUUID: receipt.documentUUID), receipt.warning)
        } catch {
            return (.failed(job.id, error), nil)
        }
    }

    /// Whether the cloud answers at all: one small request, no document.
    func probe() async -> DeliveryFailure? {
        do {
            _ = try await client.version()
            return nil
        } catch {
            // A refusal (401, 404…) still proves the cloud is there; the trial upload says the rest. A
            // token refused even after a refresh (or none at all) keeps an auth hold probing.
            return DeliveryStateMachine.holdsDelivery(error) ? error : nil
        }
    }
}
