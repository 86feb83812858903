import NIOHTTP1

/// What a 2xx answer to an upload tells: the cloud has the document. Its uuid is known when the
/// answer was the expected JSON; otherwise `documentUUID` is nil and `warning` says what was odd.
/// A 2xx is never turned into a failure: a retry would deliver the same document again.
public struct UploadReceipt: Sendable, Hashable {
    /// The cloud's id of the document, when its answer carried one.
    public var documentUUID: String?
    /// Set when the 2xx answer was not the expected JSON, for the admin; never quotes the body.
    public var warning: String?

    public init(documentUUID: String?, warning: String? = nil) {
        self.documentUUID = documentUUID
        self.warning = warning
    }
}

extension UploadReceipt {
    /// Reads a 2xx answer. `body` holds at most `bodyLimit` bytes; `bodyWasCut` says more followed.
    static func reading(status: Int, headers: HTTPHeaders, body: [UInt8], bodyWasCut: Bool, bodyLimit: Int) -> UploadReceipt {
        // Only the odd answers quote it: a normal receipt does not pay for reading the header.
        var contentType: String { shownContentType(headers) }
        func odd(_ what: String) -> UploadReceipt {
            UploadReceipt(
                documentUUID: nil,
                warning: "the cloud answered \(status) but \(what); the document was accepted, its uuid is unknown")
        }
        if bodyWasCut {
            let declared = headers.first(name: "Content-Length").flatMap { Int($0) }
            let size = declared.map { "\($0) bytes" } ?? "over \(bodyLimit) bytes"
            return odd("the body was larger than the \(bodyLimit)-byte answer limit (\(contentType), \(size)) and was not read")
        }
        if body.isEmpty {
            return odd("the body was empty (\(contentType))")
        }
        if let answer = try? CloudJSON.decode(AcceptedDocument.self, from: body) {
            return UploadReceipt(documentUUID: answer.uuid)
        }
        let what: String
        switch (try? CloudJSON.decode(JSONShape.self, from: body))?.isObject {
        case true?: what = "the JSON body had no uuid"
        case false?: what = "the body was JSON but not an object"
        case nil: what = "the body was not JSON"
        }
        return odd("\(what) (\(contentType), \(body.count) bytes)")
    }

    /// The media type without parameters, printable and short: it is the server's text, shown in a log.
    private static func shownContentType(_ headers: HTTPHeaders) -> String {
        guard let value = headers.first(name: "Content-Type") else { return "no content type" }
        let mediaType = value.prefix { $0 != ";" }
        return CloudAnswer.readable(String(mediaType.prefix(100))) ?? "no content type"
    }

    /// The one field of the answer (a `DocumentInfo`) a receipt keeps: decoding the other eleven, each
    /// leniently, was most of the cost of reading an answer, paid for every upload.
    private struct AcceptedDocument: Decodable {
        var uuid: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: DocumentInfo.CodingKeys.self)
            uuid = try container.decode(String.self, forKey: .uuid)
            guard !uuid.isEmpty else {
                throw DecodingError.dataCorruptedError(forKey: .uuid, in: container, debugDescription: "empty uuid")
            }
        }
    }

    /// Any JSON value, to tell "JSON without a uuid" from "not JSON at all".
    private struct JSONShape: Decodable {
        var isObject: Bool

        init(from decoder: any Decoder) throws {
            isObject = (try? decoder.container(keyedBy: AnyKey.self)) != nil
            if !isObject { _ = try decoder.singleValueContainer() }
        }

        private struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }
}
