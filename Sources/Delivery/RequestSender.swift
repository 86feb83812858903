import CloudAPI
import Outbox
import SpoolbridgeCore

/// Sends a record, release or card swipe: what `send` means for the kinds without a payload file.
/// The outcome shapes are the upload's, so every kind shares the machine's retry, outage and crash rules.
struct RequestSender: Sendable {
    let client: CloudClient

    func send(_ job: Job) async -> DeliveryOutcome {
        do {
            switch job.task {
            case .upload:
                preconditionFailure("uploads are sent by Uploader")
            case .record(let record):
                try await client.recordHistory(record)
                return .delivered(job.id, documentUUID: nil)
            case .release(let release):
                try await client.releaseDocument(release)
                return .delivered(job.id, documentUUID: release.documentUUID)
            case .card(let swipe):
                try await client.releaseByCard(swipe)
                return .delivered(job.id, documentUUID: nil)
            }
        } catch {
            return .failed(job.id, error)
        }
    }
}
