import Foundation

/// Collects the parts of a `PUT /api/v1/documents` body: text fields kept (they are small),
/// the data part hashed and counted as it streams past, never stored.
struct UploadForm: MultipartPartSink {
    static let requiredTextFields = ["username", "portname", "title"]
    static let optionalFields = ["providerid", "copies", "grayscale", "duplex", "outputpagesize", "pageorientation", "scale"]
    static let knownFields = Set(requiredTextFields + optionalFields + ["data"])
    static let maxTextFieldBytes = 64 * 1024

    private enum Part {
        case text(name: String, bytes: [UInt8])
        case data
    }

    let maxDocumentBytes: Int
    private var textFields: [String: String] = [:]
    private var seenFields: Set<String> = []
    private var current: Part?
    private var hasher = SHA256Hasher()
    private var dataSize = 0
    private var dataFilename: String?
    private var dataContentType: String?
    private var dataComplete = false

    init(maxDocumentBytes: Int) {
        self.maxDocumentBytes = maxDocumentBytes
    }

    mutating func partBegan(headers: [MultipartHeader]) throws {
        let dispositions = headers.filter { $0.name == "content-disposition" }
        guard dispositions.count == 1 else {
            throw Rejection.badRequest(
                dispositions.isEmpty
                    ? "a multipart part has no Content-Disposition header (RFC 7578 requires form-data; name=\"...\")"
                    : "a multipart part has more than one Content-Disposition header")
        }
        let disposition = try ParameterizedHeaderValue(
            parsing: dispositions[0].value, what: "Content-Disposition", mediaType: false)
        guard disposition.type == "form-data" else {
            throw Rejection.badRequest("Content-Disposition type is \"\(disposition.type)\"; parts of an upload must be form-data")
        }
        guard let name = disposition.parameters["name"], !name.isEmpty else {
            throw Rejection.badRequest("a multipart part's Content-Disposition has no name parameter")
        }
        guard Self.knownFields.contains(name) else {
            throw Rejection.badRequest(
                "unknown field \"\(name)\"; the upload accepts \(Self.knownFields.sorted().joined(separator: ", "))")
        }
        guard seenFields.insert(name).inserted else {
            throw Rejection.badRequest("field \(name) appears more than once")
        }
        let contentTypes = headers.filter { $0.name == "content-type" }
        guard contentTypes.count <= 1 else {
            throw Rejection.badRequest("field \(name) has more than one Content-Type header")
        }
        if let encoding = headers.first(where: { $0.name == "content-transfer-encoding" })?.value.lowercased(),
            !["binary", "8bit", "7bit"].contains(encoding)
        {
            throw Rejection.badRequest("field \(name) uses Content-Transfer-Encoding \(encoding); send the bytes as binary")
        }
        var filename = disposition.parameters["filename"]
        if let extended = disposition.parameters["filename*"] {
            filename = try ExtendedParameterValue.decode(extended, parameter: "filename*")
        }
        if name == "data" {
            try beginData(filename: filename, contentType: contentTypes.first?.value)
        } else {
            guard filename == nil else {
                throw Rejection.badRequest("field \(name) is a text field and must not carry a filename")
            }
            if let contentType = contentTypes.first?.value {
                let media = try ParameterizedHeaderValue(parsing: contentType, what: "Content-Type of field \(name)", mediaType: true)
                guard media.type == "text/plain" else {
                    throw Rejection.badRequest("field \(name) has Content-Type \(contentType); text fields must be text/plain")
                }
            }
            current = .text(name: name, bytes: [])
        }
    }

    private mutating func beginData(filename: String?, contentType: String?) throws {
        guard let filename, !filename.isEmpty else {
            throw Rejection.badRequest("the data part needs a filename in its Content-Disposition (filename=\"...\")")
        }
        guard let contentType else {
            throw Rejection.badRequest("the data part has no Content-Type; it must be application/octet-stream")
        }
        let media = try ParameterizedHeaderValue(parsing: contentType, what: "Content-Type of the data part", mediaType: true)
        guard media.type == "application/octet-stream" else {
            throw Rejection.badRequest("the data part has Content-Type \(contentType); it must be application/octet-stream")
        }
        dataFilename = filename
        dataContentType = contentType
        current = .data
    }

    mutating func partBytes(_ bytes: UnsafeRawBufferPointer) throws {
        switch current {
        case .data:
            dataSize += bytes.count
            if dataSize > maxDocumentBytes {
                throw Rejection(
                    status: 413,
                    message: "the document is larger than the upload limit of \(maxDocumentBytes) bytes; split or shrink it")
            }
            hasher.update(bytes)
        case .text(let name, var collected):
            current = nil  // keep `collected` uniquely referenced while appending
            collected.append(contentsOf: bytes)
            if collected.count > Self.maxTextFieldBytes {
                throw Rejection.badRequest("field \(name) is longer than \(Self.maxTextFieldBytes) bytes")
            }
            current = .text(name: name, bytes: collected)
        case nil:
            break
        }
    }

    mutating func partEnded() throws {
        defer { current = nil }
        switch current {
        case .data:
            dataComplete = true
        case .text(let name, let bytes):
            guard let value = String(validating: bytes, as: UTF8.self) else {
                throw Rejection.badRequest("field \(name) is not valid UTF-8")
            }
            try FieldRules.validate(name: name, value: value)
            textFields[name] = value
        case nil:
            break
        }
    }

    /// The accepted document, once the whole body was parsed; throws naming the first missing field.
    mutating func finish(uuid: String, receivedAt: Date) throws -> ReceivedDocument {
        for name in Self.requiredTextFields where (textFields[name] ?? "").isEmpty {
            throw Rejection.badRequest(
                textFields[name] == nil ? "required field \(name) is missing" : "required field \(name) is empty")
        }
        guard dataComplete, let filename = dataFilename, let contentType = dataContentType else {
            throw Rejection.badRequest("required field data (the document, a file part) is missing")
        }
        guard dataSize > 0 else {
            throw Rejection.badRequest("required field data is empty (0 bytes)")
        }
        return ReceivedDocument(
            uuid: uuid,
            username: textFields["username"]!,
            portname: textFields["portname"]!,
            title: textFields["title"]!,
            filename: filename,
            copies: textFields["copies"].flatMap { Int($0) },
            grayscale: textFields["grayscale"].map { $0 == "true" },
            duplex: textFields["duplex"].flatMap { Int($0) },
            providerID: textFields["providerid"].flatMap { Int($0) },
            outputPageSize: textFields["outputpagesize"],
            pageOrientation: textFields["pageorientation"].flatMap { Int($0) },
            scale: textFields["scale"].flatMap { Int($0) },
            size: dataSize,
            sha256: SHA256Digest.hexString(hasher.finalize()),
            dataContentType: contentType,
            receivedAt: receivedAt)
    }
}
