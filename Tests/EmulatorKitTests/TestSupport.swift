import EmulatorKit
import Foundation

/// Builds multipart/form-data bodies byte by byte, including broken ones.
struct MultipartBuilder {
    var boundary = "sb-test-boundary-7f3a91"
    private(set) var bytes: [UInt8] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func raw(_ text: String) { bytes += Array(text.utf8) }

    mutating func field(_ name: String, _ value: String) {
        raw("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    /// A file part; `disposition` is everything after `form-data; `.
    mutating func file(
        disposition: String = "name=\"data\"; filename=\"doc.pdf\"", contentType: String? = "application/octet-stream",
        data: [UInt8]
    ) {
        raw("--\(boundary)\r\nContent-Disposition: form-data; \(disposition)\r\n")
        if let contentType { raw("Content-Type: \(contentType)\r\n") }
        raw("\r\n")
        bytes += data
        raw("\r\n")
    }

    mutating func close() { raw("--\(boundary)--\r\n") }

    /// username, portname and title, the fields every upload needs.
    mutating func requiredFields() {
        field("username", "alice")
        field("portname", "secure-queue")
        field("title", "report.pdf")
    }

    static func valid(data: [UInt8], extraFields: [(String, String)] = []) -> MultipartBuilder {
        var builder = MultipartBuilder()
        builder.requiredFields()
        for (name, value) in extraFields { builder.field(name, value) }
        builder.file(data: data)
        builder.close()
        return builder
    }
}

enum Requests {
    static let apiKey = "test-api-key"

    static func upload(
        body: [UInt8], contentType: String?, apiKey: String? = Requests.apiKey, extraHeaders: [String] = []
    ) -> [UInt8] {
        var head = "PUT /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if let apiKey { head += "X-Api-Key: \(apiKey)\r\n" }
        for header in extraHeaders { head += header + "\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    static func upload(_ builder: MultipartBuilder, apiKey: String? = Requests.apiKey) -> [UInt8] {
        upload(body: builder.bytes, contentType: builder.contentType, apiKey: apiKey)
    }

    static func get(_ path: String, apiKey: String? = Requests.apiKey) -> [UInt8] {
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let apiKey { head += "X-Api-Key: \(apiKey)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    static func post(_ path: String, json: String) -> [UInt8] {
        let body = Array(json.utf8)
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }
}

/// 20,000 bytes whose SHA-256 was computed independently (Python's hashlib).
enum Fixture {
    static let document: [UInt8] = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    static let documentSHA256 = "f8aed270a592b255d90b04785c0b130a968ae204948fc2755db1861c810c6c83"
    static let largeDocument: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
    static let largeDocumentSHA256 = "b0f88581a590d0d324439edfefda7e3bd42a6ddb0f85242e55d924591e986812"
}

/// Runs `body` against a fresh emulator and always shuts it down.
func withEmulator(
    _ configuration: CloudEmulator.Configuration = .init(), _ body: (CloudEmulator) async throws -> Void
) async throws {
    let emulator = try await CloudEmulator.start(configuration)
    do {
        try await body(emulator)
        try await emulator.shutdown()
    } catch {
        try? await emulator.shutdown()
        throw error
    }
}

/// One request on a fresh connection.
func exchange(_ emulator: CloudEmulator, _ request: [UInt8]) throws -> RawHTTPResponse? {
    let connection = try RawHTTPConnection(port: emulator.port)
    try connection.send(request)
    return try connection.readResponse()
}
