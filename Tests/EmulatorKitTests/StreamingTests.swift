@testable import EmulatorKit
import NIOCore
import Testing

@Suite("Streaming multipart: delimiters split across reads")
struct StreamingTests {
    @Test func oneByteWritesOverTCP() async throws {
        try await withEmulator { emulator throws in
            let data = Array(Fixture.document.prefix(300))
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Requests.upload(MultipartBuilder.valid(data: data)), chunkSizes: [1])
            let response = try #require(try connection.readResponse())
            #expect(response.status == 200, "\(response.text)")
            #expect(emulator.documents().first?.sha256 == SHA256Digest.hex(of: data))
        }
    }

    @Test func oddSizedWritesOverTCP() async throws {
        try await withEmulator { emulator throws in
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Requests.upload(MultipartBuilder.valid(data: Fixture.largeDocument)), chunkSizes: [7, 1, 13, 4093, 3, 65537, 2])
            let response = try #require(try connection.readResponse())
            #expect(response.status == 200, "\(response.text)")
            #expect(emulator.documents().first?.sha256 == Fixture.largeDocumentSHA256)
            #expect(emulator.documents().first?.size == Fixture.largeDocument.count)
        }
    }

    /// Content that looks like the start of a delimiter ("\r\n--" and a boundary prefix)
    /// must come out intact, at every split point of the body.
    @Test func everyTwoWaySplitOfATrickyBody() throws {
        var builder = MultipartBuilder()
        builder.boundary = "XyZ"
        let data = Array("a\r\n--Xy\r\n-\r\r\n--X\r\n--XyQ end\r".utf8)
        builder.requiredFields()
        builder.file(data: data)
        builder.close()
        let body = builder.bytes
        for split in 0...body.count {
            let document = try parse(body, boundary: "XyZ", pieces: [Array(body[..<split]), Array(body[split...])])
            #expect(document.sha256 == SHA256Digest.hex(of: data), "split at \(split)")
            #expect(document.size == data.count)
            #expect(document.title == "report.pdf")
        }
    }

    @Test func oneBytePiecesDirectlyIntoTheParser() throws {
        let builder = MultipartBuilder.valid(data: Fixture.document, extraFields: [("copies", "2")])
        let document = try parse(builder.bytes, boundary: builder.boundary, pieces: builder.bytes.map { [$0] })
        #expect(document.sha256 == Fixture.documentSHA256)
        #expect(document.copies == 2)
    }

    @Test func delimiterLikeTextWithoutCRLFIsContent() throws {
        var builder = MultipartBuilder()
        let data = Array("--\(builder.boundary) is not a delimiter without CRLF before it".utf8)
        builder.requiredFields()
        builder.file(data: data)
        builder.close()
        let document = try parse(builder.bytes, boundary: builder.boundary, pieces: [builder.bytes])
        #expect(document.size == data.count)
    }

    private func parse(_ body: [UInt8], boundary: String, pieces: [[UInt8]]) throws -> ReceivedDocument {
        var parser = MultipartParser(boundary: boundary)
        var form = UploadForm(maxDocumentBytes: 1 << 30)
        for piece in pieces {
            try parser.feed(ByteBuffer(bytes: piece), into: &form)
        }
        try parser.finish()
        return try form.finish(uuid: "00000000-0000-0000-0000-000000000000", receivedAt: .init())
    }
}
