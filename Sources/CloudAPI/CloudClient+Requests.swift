import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SpoolbridgeCore

/// The small form-encoded calls: history records, releases to an output port, card swipes. Their
/// headers come from `commonHeaders()`, like the upload's, so credentials are added in one place.
extension CloudClient {
    /// `POST /documents/history`: records a copy, scan, fax or print job. Any 2xx is success.
    public func recordHistory(_ record: HistoryRecord) async throws(DeliveryFailure) {
        let answer = try await postForm(
            endpoint: "documents/history", fields: record.formFields, label: "POST /documents/history")
        guard (200...299).contains(answer.status) else { throw answer.failure() }
    }

    /// `POST /card?cd=CARD&Mac=READER`: releases the card owner's jobs at the reader. The parameters
    /// are query parameters (the reference: "never body parameters"); the body is empty.
    public func releaseByCard(_ swipe: CardSwipe) async throws(DeliveryFailure) {
        let query = "cd=\(FormEncoding.escaped(swipe.cardID))&Mac=\(FormEncoding.escaped(swipe.reader))"
        let answer = try await postForm(endpoint: "card?" + query, fields: [], label: "POST /card")
        guard (200...299).contains(answer.status) else { throw answer.failure() }
    }

    /// `POST /documents/UUID/SERIAL-or-ADDRESS`: sends a delivered document to an output port.
    /// 400, 403 and 404 (unknown document, not allowed, unknown printer) are permanent with the
    /// server's message; any other refusal is transient (the release is worth another try).
    public func releaseDocument(_ release: DocumentRelease) async throws(DeliveryFailure) {
        let path = "documents/\(FormEncoding.escaped(release.documentUUID))/\(FormEncoding.escaped(release.printer))"
        let answer = try await postForm(endpoint: path, fields: release.formFields, label: "POST /documents/UUID/PRINTER")
        guard (200...299).contains(answer.status) else { throw Self.releaseFailure(answer) }
    }

    static func releaseFailure(_ answer: CloudResponse) -> DeliveryFailure {
        var failure = answer.failure()
        switch answer.status {
        case 400, 403, 404:
            // The server's own words: "document not found" must not read as a wrong cloud.url.
            failure.kind = .permanent
            failure.message = CloudAnswer.serverMessage(in: answer.body)
                ?? "the cloud answered \(answer.status) without a message"
        default:
            // Only a refusal the generic rules call permanent is softened; other kinds (a 5xx, an
            // expired credential) keep what the generic rules decided.
            if failure.kind == .permanent { failure.kind = .transient }
        }
        return failure
    }

    /// A POST with a form body, `Content-Type: application/x-www-form-urlencoded` even when empty
    /// (the release endpoint requires it), under the probe's total deadline: these are small.
    private func postForm(endpoint: String, fields: [(String, String)], label: String) async throws(DeliveryFailure)
        -> CloudResponse
    {
        var request = HTTPClientRequest(url: baseURL.endpoint(endpoint))
        request.method = .POST
        request.headers = commonHeaders()
        request.headers.add(name: "Content-Type", value: FormEncoding.contentType)
        let body = Array(FormEncoding.body(fields).utf8)
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await execute(
            request, label: label, deadlines: deadlines(total: Self.probeTimeout, payload: "the request"))
    }
}
