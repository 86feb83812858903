import EmulatorKit
import Foundation
import Testing

@Suite("Accepted uploads over loopback")
struct UploadTests {
    @Test func goodUploadIsRecordedAndAnsweredWithDocumentInfo() async throws {
        try await withEmulator { emulator throws in
            let builder = MultipartBuilder.valid(
                data: Fixture.document,
                extraFields: [
                    ("copies", "3"), ("grayscale", "true"), ("duplex", "2"), ("providerid", "17"),
                    ("outputpagesize", "595x842"), ("pageorientation", "1"), ("scale", "90"),
                ])
            let before = Date()
            let response = try #require(try exchange(emulator, Requests.upload(builder)))
            #expect(response.status == 200)
            let info = response.json
            let documents = try await emulator.waitForDocuments(count: 1, timeout: .seconds(5))
            #expect(documents.count == 1)
            let document = try #require(documents.first)
            #expect(document.username == "alice")
            #expect(document.portname == "secure-queue")
            #expect(document.title == "report.pdf")
            #expect(document.filename == "doc.pdf")
            #expect(document.copies == 3)
            #expect(document.grayscale == true)
            #expect(document.duplex == 2)
            #expect(document.providerID == 17)
            #expect(document.outputPageSize == "595x842")
            #expect(document.pageOrientation == 1)
            #expect(document.scale == 90)
            #expect(document.size == Fixture.document.count)
            #expect(document.sha256 == Fixture.documentSHA256)
            #expect(document.dataContentType == "application/octet-stream")
            #expect(document.receivedAt >= before.addingTimeInterval(-1))

            #expect(info["uuid"] as? String == document.uuid)
            #expect(UUID(uuidString: document.uuid) != nil)
            #expect(info["documentName"] as? String == "report.pdf")
            #expect(info["userName"] as? String == "alice")
            #expect(info["copies"] as? Int == 3)
            #expect(info["duplex"] as? Int == 2)
            #expect(info["grayscale"] as? Bool == true)
            #expect(info["status"] as? Int == 5)
            #expect(info["jobType"] as? String == "PRINT")
            #expect((info["dateTime"] as? Int ?? 0) > 1_600_000_000_000)
        }
    }

    @Test func minimalUploadLeavesOptionalFieldsNil() async throws {
        try await withEmulator { emulator throws in
            let response = try #require(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1, 2, 3]))))
            #expect(response.status == 200)
            let document = try #require(emulator.documents().first)
            #expect(document.copies == nil && document.grayscale == nil && document.duplex == nil)
            #expect(document.providerID == nil && document.outputPageSize == nil && document.pageOrientation == nil)
            #expect(document.size == 3)
            #expect(document.sha256 == SHA256Digest.hex(of: [1, 2, 3] as [UInt8]))
        }
    }

    @Test func extendedFilenameTakesPrecedenceAndIsPercentDecoded() async throws {
        try await withEmulator { emulator throws in
            var builder = MultipartBuilder()
            builder.requiredFields()
            builder.file(
                disposition: "name=\"data\"; filename=\"fallback.pdf\"; filename*=UTF-8''%C3%BCber%20%E2%82%AC%20plan.pdf",
                data: Fixture.document)
            builder.close()
            let response = try #require(try exchange(emulator, Requests.upload(builder)))
            #expect(response.status == 200)
            #expect(emulator.documents().first?.filename == "über € plan.pdf")
        }
    }

    @Test func quotedFilenameUnescapesBackslashesAndKeepsRawUTF8() async throws {
        try await withEmulator { emulator throws in
            var builder = MultipartBuilder()
            builder.requiredFields()
            builder.file(disposition: #"name="data"; filename="a \"quoted\" \\ naïve; name.pdf""#, data: [42])
            builder.close()
            let response = try #require(try exchange(emulator, Requests.upload(builder)))
            #expect(response.status == 200)
            #expect(emulator.documents().first?.filename == #"a "quoted" \ naïve; name.pdf"#)
        }
    }

    @Test func preambleEpilogueAndQuotedBoundaryAreAccepted() async throws {
        try await withEmulator { emulator throws in
            var builder = MultipartBuilder()
            builder.boundary = "with space:and?more"
            builder.raw("This is a preamble that parsers ignore.\r\n")
            builder.requiredFields()
            builder.file(data: Fixture.document)
            builder.close()
            builder.raw("and an epilogue, ignored too")
            let request = Requests.upload(
                body: builder.bytes, contentType: "multipart/form-data; boundary=\"\(builder.boundary)\"")
            let response = try #require(try exchange(emulator, request))
            #expect(response.status == 200, "\(response.text)")
            #expect(emulator.documents().first?.sha256 == Fixture.documentSHA256)
        }
    }

    @Test func chunkedTransferEncodingIsAccepted() async throws {
        try await withEmulator { emulator throws in
            let builder = MultipartBuilder.valid(data: Fixture.largeDocument)
            var request = Array(
                "PUT /api/v1/documents HTTP/1.1\r\nHost: x\r\nX-Api-Key: test-api-key\r\nContent-Type: \(builder.contentType)\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .utf8)
            var offset = 0
            while offset < builder.bytes.count {
                let size = min(7777, builder.bytes.count - offset)
                request += Array("\(String(size, radix: 16))\r\n".utf8) + builder.bytes[offset..<(offset + size)] + [13, 10]
                offset += size
            }
            request += Array("0\r\n\r\n".utf8)
            let response = try #require(try exchange(emulator, request))
            #expect(response.status == 200)
            #expect(emulator.documents().first?.sha256 == Fixture.largeDocumentSHA256)
        }
    }

    @Test func expectContinueGets100ThenTheAnswer() async throws {
        try await withEmulator { emulator throws in
            let builder = MultipartBuilder.valid(data: Fixture.document)
            let full = Requests.upload(body: builder.bytes, contentType: builder.contentType, extraHeaders: ["Expect: 100-continue"])
            let headLength = full.firstRange(of: [13, 10, 13, 10])!.upperBound
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Array(full[..<headLength]))
            #expect(try connection.readResponse(skipInterim: false)?.status == 100)
            try connection.send(Array(full[headLength...]))
            let response = try #require(try connection.readResponse())
            #expect(response.status == 200)
            #expect(emulator.documents().count == 1)
        }
    }

    @Test func manyConcurrentConnections() async throws {
        try await withEmulator { emulator throws in
            let port = emulator.port
            try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let connection = try RawHTTPConnection(port: port)
                        var accepted = 0
                        for index in 0..<25 {
                            var builder = MultipartBuilder()
                            builder.field("username", "user\(worker)")
                            builder.field("portname", "q")
                            builder.field("title", "doc-\(worker)-\(index).pdf")
                            builder.file(data: Fixture.document)
                            builder.close()
                            try connection.send(Requests.upload(builder))
                            if try connection.readResponse()?.status == 200 { accepted += 1 }
                        }
                        return accepted
                    }
                }
                var total = 0
                for try await accepted in group { total += accepted }
                #expect(total == 200)
            }
            let documents = try await emulator.waitForDocuments(count: 200, timeout: .seconds(10))
            #expect(Set(documents.map(\.title)).count == 200)
            #expect(documents.allSatisfy { $0.sha256 == Fixture.documentSHA256 })
            let stats = emulator.stats()
            #expect(stats.documents == 200 && stats.requests == 200 && stats.rejected == 0)
        }
    }
}
