import EmulatorKit
import Testing

/// One malformed upload and what the strict emulator must answer.
struct RejectionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var contentType: String?
    var body: [UInt8]
    var status = 400
    /// Each must appear in the error message.
    var mentions: [String]

    var testDescription: String { name }

    init(_ name: String, status: Int = 400, mentions: [String], contentType: String? = nil, build: (inout MultipartBuilder) -> Void) {
        var builder = MultipartBuilder()
        build(&builder)
        self.name = name
        self.status = status
        self.mentions = mentions
        self.contentType = contentType ?? builder.contentType
        self.body = builder.bytes
    }

    static let all: [RejectionCase] = [
        .init("missing title", mentions: ["title", "missing"]) { b in
            b.field("username", "alice"); b.field("portname", "q"); b.file(data: [1]); b.close()
        },
        .init("empty username", mentions: ["username", "empty"]) { b in
            b.field("username", ""); b.field("portname", "q"); b.field("title", "t"); b.file(data: [1]); b.close()
        },
        .init("missing data", mentions: ["data", "missing"]) { b in b.requiredFields(); b.close() },
        .init("empty data", mentions: ["data", "empty"]) { b in b.requiredFields(); b.file(data: []); b.close() },
        .init("bad duplex", mentions: ["duplex", "\"3\""]) { b in
            b.requiredFields(); b.field("duplex", "3"); b.file(data: [1]); b.close()
        },
        .init("bad grayscale", mentions: ["grayscale", "\"yes\""]) { b in
            b.requiredFields(); b.field("grayscale", "yes"); b.file(data: [1]); b.close()
        },
        .init("grayscale is case-sensitive", mentions: ["grayscale", "\"True\""]) { b in
            b.requiredFields(); b.field("grayscale", "True"); b.file(data: [1]); b.close()
        },
        .init("zero copies", mentions: ["copies", "\"0\""]) { b in
            b.requiredFields(); b.field("copies", "0"); b.file(data: [1]); b.close()
        },
        .init("signed copies", mentions: ["copies", "\"+2\""]) { b in
            b.requiredFields(); b.field("copies", "+2"); b.file(data: [1]); b.close()
        },
        .init("bad page size", mentions: ["outputpagesize", "\"A7\""]) { b in
            b.requiredFields(); b.field("outputpagesize", "A7"); b.file(data: [1]); b.close()
        },
        .init("bad orientation", mentions: ["pageorientation", "\"2\""]) { b in
            b.requiredFields(); b.field("pageorientation", "2"); b.file(data: [1]); b.close()
        },
        .init("scale out of range", mentions: ["scale", "\"101\""]) { b in
            b.requiredFields(); b.field("scale", "101"); b.file(data: [1]); b.close()
        },
        .init("non-numeric provider", mentions: ["providerid", "\"abc\""]) { b in
            b.requiredFields(); b.field("providerid", "abc"); b.file(data: [1]); b.close()
        },
        .init("unknown field", mentions: ["unknown field", "\"colour\""]) { b in
            b.requiredFields(); b.field("colour", "red"); b.file(data: [1]); b.close()
        },
        .init("duplicate field", mentions: ["title", "more than once"]) { b in
            b.requiredFields(); b.field("title", "again"); b.file(data: [1]); b.close()
        },
        .init("data without filename", mentions: ["data", "filename"]) { b in
            b.requiredFields(); b.file(disposition: "name=\"data\"", data: [1]); b.close()
        },
        .init("data with wrong content type", mentions: ["data", "application/octet-stream"]) { b in
            b.requiredFields(); b.file(contentType: "application/pdf", data: [1]); b.close()
        },
        .init("data without content type", mentions: ["data", "Content-Type"]) { b in
            b.requiredFields(); b.file(contentType: nil, data: [1]); b.close()
        },
        .init("text field with a filename", mentions: ["title", "filename"]) { b in
            b.field("username", "a"); b.field("portname", "q")
            b.file(disposition: "name=\"title\"; filename=\"t.txt\"", contentType: nil, data: Array("t".utf8))
            b.file(data: [1]); b.close()
        },
        .init("missing closing boundary", mentions: ["closing delimiter"]) { b in b.requiredFields(); b.file(data: [1]) },
        .init("body with no boundary at all", mentions: ["no delimiter"]) { b in b.raw("username=alice&title=x") },
        .init("part without Content-Disposition", mentions: ["Content-Disposition"]) { b in
            b.raw("--\(b.boundary)\r\nContent-Type: text/plain\r\n\r\nalice\r\n"); b.close()
        },
        .init("disposition other than form-data", mentions: ["form-data"]) { b in
            b.raw("--\(b.boundary)\r\nContent-Disposition: attachment; name=\"username\"\r\n\r\nalice\r\n"); b.close()
        },
        .init("unterminated quoted string", mentions: ["quoted string"]) { b in
            b.raw("--\(b.boundary)\r\nContent-Disposition: form-data; name=\"username\r\n\r\nalice\r\n"); b.close()
        },
        .init("bare LF line endings", mentions: ["CRLF"]) { b in
            b.raw("--\(b.boundary)\nContent-Disposition: form-data; name=\"username\"\n\nalice\n"); b.close()
        },
        .init("bad percent escape in filename*", mentions: ["filename*"]) { b in
            b.requiredFields(); b.file(disposition: "name=\"data\"; filename*=UTF-8''bad%2", data: [1]); b.close()
        },
        .init("wrong request content type", mentions: ["multipart/form-data"], contentType: "application/json") { b in
            b.requiredFields(); b.file(data: [1]); b.close()
        },
        .init("content type without boundary", mentions: ["boundary"], contentType: "multipart/form-data") { b in
            b.requiredFields(); b.file(data: [1]); b.close()
        },
        .init("boundary of 71 characters", mentions: ["boundary"],
              contentType: "multipart/form-data; boundary=\(String(repeating: "b", count: 71))") { b in
            b.requiredFields(); b.file(data: [1]); b.close()
        },
    ]
}

@Suite("Strict rejections over loopback")
struct RejectionTests {
    @Test(arguments: RejectionCase.all)
    func rejected(_ testCase: RejectionCase) async throws {
        try await withEmulator { emulator throws in
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Requests.upload(body: testCase.body, contentType: testCase.contentType))
            let response = try #require(try connection.readResponse())
            #expect(response.status == testCase.status, "\(response.text)")
            #expect(response.json["code"] as? Int == testCase.status)
            for mention in testCase.mentions {
                #expect(response.errorMessage.contains(mention), "message \"\(response.errorMessage)\" should mention \(mention)")
            }
            #expect(emulator.documents().isEmpty)
            #expect(emulator.stats().rejected == 1)
            // The body was drained: the same connection serves the next request.
            try connection.send(Requests.get("/api/v1/version"))
            #expect(try connection.readResponse()?.status == 200)
        }
    }

    @Test func missingRequestContentTypeIs400() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, Requests.upload(body: [1, 2, 3], contentType: nil)))
            #expect(response.status == 400)
            #expect(response.errorMessage.contains("Content-Type"))
        }
    }

    @Test func dataPartOverTheLimitIs413() async throws {
        try await withEmulator(.init(maxDocumentBytes: 10_000)) { emulator throws in
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Requests.upload(MultipartBuilder.valid(data: Fixture.document)))
            let response = try #require(try connection.readResponse())
            #expect(response.status == 413)
            #expect(response.json["code"] as? Int == 413)
            #expect(response.header("Connection")?.lowercased() == "close")
            #expect(try connection.readsEOF())
            #expect(emulator.documents().isEmpty)
            // Exactly at the limit is fine.
            let atLimit = try #require(
                try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: Array(Fixture.document.prefix(10_000))))))
            #expect(atLimit.status == 200)
        }
    }

    @Test func contentLengthShorterThanTheBodyIsRejected() async throws {
        try await withEmulator { emulator throws in
            let builder = MultipartBuilder.valid(data: Fixture.document)
            var request = Requests.upload(body: Array(builder.bytes.dropLast(100)), contentType: builder.contentType)
            request += builder.bytes.suffix(100)  // bytes beyond Content-Length: not part of this request
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(request)
            let response = try #require(try connection.readResponse())
            #expect(response.status == 400)
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test func bodyEndingBeforeContentLengthRecordsNothing() async throws {
        try await withEmulator { emulator throws in
            let builder = MultipartBuilder.valid(data: Fixture.document)
            var request = Requests.upload(body: builder.bytes, contentType: builder.contentType)
            request.removeLast(50)
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(request)
            connection.shutdownWrite()
            let response = try connection.readResponse()
            #expect(response == nil || response!.status == 400)
            #expect(emulator.documents().isEmpty)
        }
    }
}
