import Foundation
import NIOCore
import NIOHTTP1

/// One `PUT /api/v1/documents` in progress on a connection's event loop: the streaming
/// parser, the form it fills, and the first reason to reject, after which the rest of the
/// body is drained unread so the connection stays usable.
final class UploadExchange {
    private var parser: MultipartParser
    private var form: UploadForm
    private(set) var failure: Rejection?

    init(boundary: String, maxDocumentBytes: Int) {
        parser = MultipartParser(boundary: boundary)
        form = UploadForm(maxDocumentBytes: maxDocumentBytes)
    }

    /// Validates the request head of an upload: a multipart/form-data Content-Type with a usable boundary.
    static func boundary(of head: HTTPRequestHead) throws -> String {
        let contentTypes = head.headers["Content-Type"]
        guard contentTypes.count == 1 else {
            throw Rejection.badRequest(
                contentTypes.isEmpty
                    ? "missing Content-Type; the upload must be multipart/form-data with a boundary"
                    : "more than one Content-Type header")
        }
        let media = try ParameterizedHeaderValue(parsing: contentTypes[0], what: "Content-Type", mediaType: true)
        guard media.type == "multipart/form-data" else {
            throw Rejection.badRequest("Content-Type is \(contentTypes[0]); the upload must be multipart/form-data")
        }
        guard let boundary = media.parameters["boundary"] else {
            throw Rejection.badRequest("Content-Type multipart/form-data has no boundary parameter")
        }
        guard isValidBoundary(boundary) else {
            throw Rejection.badRequest(
                "multipart boundary \"\(boundary.prefix(80))\" is invalid: RFC 2046 allows 1-70 characters of "
                    + "letters, digits and '()+_,-./:=? and space, not ending in a space")
        }
        return boundary
    }

    static func isValidBoundary(_ boundary: String) -> Bool {
        let allowed = Set("'()+_,-./:=? ".utf8)
        let bytes = Array(boundary.utf8)
        return (1...70).contains(bytes.count) && bytes.last != UInt8(ascii: " ")
            && bytes.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || allowed.contains(byte)
            }
    }

    func feed(_ buffer: ByteBuffer) {
        guard failure == nil else { return }
        do {
            try parser.feed(buffer, into: &form)
        } catch {
            failure = Self.rejection(for: error)
        }
    }

    /// At the end of the request body: the accepted document, or why it is rejected.
    func finish() -> Result<ReceivedDocument, Rejection> {
        if let failure { return .failure(failure) }
        do {
            try parser.finish()
            return .success(try form.finish(uuid: UUID().uuidString.lowercased(), receivedAt: Date()))
        } catch {
            return .failure(Self.rejection(for: error))
        }
    }

    private static func rejection(for error: any Error) -> Rejection {
        (error as? Rejection) ?? .badRequest("malformed upload: \(error)")
    }
}
